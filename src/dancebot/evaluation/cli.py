"""``dancebot eval``: run conversation scenarios and say how many passed.

Progress goes to stderr; the last line on stdout is exactly ``N passed, M failed``. Exit
codes: 0 all passed (or the pass rate reached ``--threshold``), 1 some failed, 2 the run
could not start (invalid KB or seed, ``--llm real`` without a configured provider).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dancebot.adapters.crm.impulse.emulator.seed import SeedError, load_seed
from dancebot.entrypoints.logging import configure_logging
from dancebot.entrypoints.settings import PROJECT_ROOT
from dancebot.evaluation.harness import BotFiles
from dancebot.evaluation.llm import LlmMode, LlmNotConfigured, llm_setup, real_settings
from dancebot.evaluation.report import (
    ScenarioOutcome,
    exit_code,
    json_report,
    print_outcome,
    summary_line,
    write_json,
    write_transcripts,
)
from dancebot.evaluation.suite import run_suite
from dancebot.kb.loader import KnowledgeBaseError, load_kb

DEFAULT_KB = Path("knowledge/studio_tatyana.yaml")
DEFAULT_SEED = Path("seeds/studio_tatyana.yaml")


def eval_command(
    paths: Annotated[
        list[Path], typer.Argument(help="scenario files or folders (all *.yaml below them)")
    ],
    kb: Annotated[
        Path, typer.Option("--kb", help="the knowledge base (default: the sample studio)")
    ] = DEFAULT_KB,
    crm_seed: Annotated[
        Path, typer.Option("--crm-seed", help="the CRM emulator's seed (default: the sample)")
    ] = DEFAULT_SEED,
    llm: Annotated[
        LlmMode,
        typer.Option(
            "--llm",
            help="off: deterministic NLU and templates; fake/liar: the fake LLM server over "
            "HTTP; real: the configured provider (LLM_*)",
        ),
    ] = LlmMode.OFF,
    runs: Annotated[
        int, typer.Option("--runs", min=1, help="run each scenario N times; ⌈2N/3⌉ must pass")
    ] = 1,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="write a machine-readable report here")
    ] = None,
    transcripts: Annotated[
        Path | None, typer.Option("--transcripts", help="write one JSON per scenario here")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", min=0.0, max=1.0, help="exit 0 when this share passes"),
    ] = None,
    keep_database: Annotated[
        str | None,
        typer.Option(
            "--keep-database",
            help="write the scenarios' audit rows to this database URL and keep them "
            "(for `dancebot report`), instead of a throwaway SQLite file per scenario",
        ),
    ] = None,
) -> None:
    """Run conversation scenarios (SCENARIOS.md) through the real pipeline on a virtual clock;
    the last line printed is `N passed, M failed`."""
    err = Console(stderr=True, soft_wrap=True)
    if llm is LlmMode.REAL:
        try:
            real_settings()
        except LlmNotConfigured as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(2) from exc
    configure_logging(level="ERROR")  # CRM warnings are expected under a fault step
    files = BotFiles(kb_path=_resolve(kb), seed_path=_resolve(crm_seed))
    problem = _check_files(files)
    if problem:
        err.print(problem, markup=False, highlight=False)
        raise typer.Exit(2)
    rejections: Counter[str] = Counter()

    async def run() -> list[ScenarioOutcome]:
        async with llm_setup(llm, kb_path=files.kb_path) as setup:
            return await run_suite(
                paths,
                files,
                runs=runs,
                on_outcome=lambda o: print_outcome(err, o),
                llm=setup,
                rejections=rejections,
                keep_database=keep_database,
            )

    outcomes = asyncio.run(run())
    if llm is not LlmMode.OFF:
        tally = ", ".join(f"{rule} {n}" for rule, n in rejections.most_common()) or "none"
        err.print(f"policy enforcer rejections ({llm.value}): {tally}", markup=False)
    if json_file is not None:
        write_json(json_file, json_report(outcomes))
    if transcripts is not None:
        write_transcripts(outcomes, transcripts)
    typer.echo(summary_line(outcomes))
    raise typer.Exit(exit_code(outcomes, threshold=threshold))


def _resolve(path: Path) -> Path:
    """A relative path is taken from the working directory, else from the project root."""
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path


def _check_files(files: BotFiles) -> str | None:
    """Why the run cannot start (the KB or the seed is invalid), or None."""
    try:
        load_kb(files.kb_path)
    except KnowledgeBaseError as exc:
        return f"The knowledge base is invalid: {exc}"
    try:
        load_seed(files.seed_path)
    except SeedError as exc:
        return f"The CRM seed is invalid: {exc}"
    return None
