"""``dancebot nlu-eval``: run the parser over the labelled corpus and report like
``rasa test nlu`` (per-command precision / recall / F1, averages, exact matches, entity
accuracy, confusion pairs).

Exit codes: 0 the micro F1 of commands reached ``--threshold`` (or none was given), 1 it did
not, 2 the corpus is invalid (each problem names the file, the item and the field).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from dancebot.domain.commands import Understanding
from dancebot.domain.messages import Channel
from dancebot.domain.session import OfferedBooking, OfferedLesson, Session
from dancebot.entrypoints.settings import PROJECT_ROOT
from dancebot.evaluation.nlu_corpus import Corpus, CorpusError, CorpusItem, discover, load_corpus
from dancebot.evaluation.nlu_metrics import (
    ItemResult,
    NluReport,
    Prediction,
    prediction_of,
    score,
)
from dancebot.kb.schema import KnowledgeBase

Understand = Callable[[str, Session, KnowledgeBase, date], Understanding]
DEFAULT_CORPUS = Path("tests/nlu/corpus")


def session_for(item: CorpusItem, kb: KnowledgeBase) -> Session:
    """A session in the item's state, with what the bot just asked and, when the item says
    options were on screen, that many placeholder lessons (bookings in the cancel flow)."""
    zone = ZoneInfo(kb.studio.timezone)
    now = datetime.combine(item.today, item.now_time, tzinfo=zone)
    session = Session.start(Channel.TELEGRAM, "nlu-eval", now=now)
    session.state = item.state
    session.slots.awaiting = item.asked
    session.slots.service_id = item.service
    for number in range(1, (item.offered or 0) + 1):
        day = item.today + timedelta(days=number)
        start = datetime.combine(day, item.now_time, tzinfo=zone).replace(hour=19)
        label = f"{day:%d.%m} 19:00"
        if item.state.value == "cancel_flow" or item.asked == "pick_booking":
            session.slots.bookings.append(
                OfferedBooking(
                    booking_id=number, schedule_id=number, date=day, start=start, label=label
                )
            )
        else:
            session.slots.offered.append(
                OfferedLesson(schedule_id=number, date=day, start=start, label=label)
            )
    return session


def run_corpus(corpus: Corpus, understand: Understand) -> list[ItemResult]:
    """Every item through ``understand``; an exception is scored as an empty prediction."""
    results = []
    for item in corpus.items:
        kb = corpus.kbs[item.kb_path]
        try:
            understanding = understand(item.text, session_for(item, kb), kb, item.today)
            prediction = prediction_of(understanding, item.offered)
        except Exception as exc:  # the parser under test must not stop the report
            prediction = Prediction((), {}, error=f"{type(exc).__name__}: {exc}")
        results.append(ItemResult(item, prediction))
    return results


# --- printing -------------------------------------------------------------------------------


def print_report(out: Console, report: NluReport, results: list[ItemResult], verbose: bool) -> None:
    table = Table(title=f"Commands ({report.items} messages)", title_justify="left")
    for column in ("command", "support", "precision", "recall", "f1"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for kind, counts in report.commands.items():
        if counts.support or counts.fp:
            table.add_row(kind, *_prf(counts.support, counts.precision, counts.recall, counts.f1))
    micro = report.micro
    table.add_section()
    table.add_row("micro avg", *_prf(micro.support, micro.precision, micro.recall, micro.f1))
    table.add_row("macro avg", str(micro.support), "", "", f"{report.macro_f1:.3f}")
    out.print(table)
    out.print(
        f"exact match (commands and entities): {report.exact}/{report.items} "
        f"= {report.exact_rate:.3f}; commands only: {report.commands_exact}/{report.items} "
        f"= {report.commands_exact_rate:.3f}; parser errors: {report.errors}"
    )
    out.print(_entity_table(report))
    out.print(_confusion_table(report))
    if verbose:
        _print_failures(out, results)


def _prf(support: int, precision: float, recall: float, f1: float) -> tuple[str, ...]:
    return str(support), f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}"


def _entity_table(report: NluReport) -> Table:
    table = Table(title="Entities", title_justify="left")
    columns = ("entity", "support", "correct", "wrong", "missed", "spurious", "accuracy", "prec")
    for column in columns:
        table.add_column(column, justify="left" if column == "entity" else "right")
    for kind, c in report.entities.items():
        table.add_row(
            kind,
            *map(str, (c.support, c.correct, c.wrong, c.missed, c.spurious)),
            f"{c.accuracy:.3f}",
            f"{c.precision:.3f}",
        )
    return table


def _confusion_table(report: NluReport, top: int = 15) -> Table:
    table = Table(title="Top confusions (expected → predicted)", title_justify="left")
    for column in ("expected", "predicted", "count"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for (expected, predicted), count in report.confusions.most_common(top):
        table.add_row(expected, predicted, str(count))
    return table


def _print_failures(out: Console, results: list[ItemResult]) -> None:
    out.print("Failing items:")
    for result in results:
        if result.exact:
            continue
        item, said = result.item, result.predicted
        context = item.state.value + (f"/{item.asked}" if item.asked else "")
        out.print(f"- {item.where} [{context}] {item.text!r}", markup=False, highlight=False)
        if not result.commands_right:
            out.print(
                f"    commands: expected {list(item.expected.commands)}, got {list(said.commands)}",
                markup=False,
                highlight=False,
            )
        for kind in result.wrong_entities:
            expected = _show(item.expected.entities.get(kind))
            out.print(
                f"    {kind}: expected {expected}, got {_show(said.entities.get(kind))}",
                markup=False,
                highlight=False,
            )
        if said.error:
            out.print(f"    error: {said.error}", markup=False, highlight=False)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return str(sorted(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return "—" if value is None else str(value)


def json_report(report: NluReport, results: list[ItemResult]) -> dict[str, Any]:
    micro = report.micro
    return {
        "items": report.items,
        "micro": {"precision": micro.precision, "recall": micro.recall, "f1": micro.f1},
        "macro_f1": report.macro_f1,
        "exact_match": report.exact_rate,
        "commands_exact_match": report.commands_exact_rate,
        "commands": {
            kind: {"support": c.support, "precision": c.precision, "recall": c.recall, "f1": c.f1}
            for kind, c in report.commands.items()
        },
        "entities": {
            kind: {"support": c.support, "accuracy": c.accuracy, "precision": c.precision}
            for kind, c in report.entities.items()
        },
        "confusions": [
            {"expected": e, "predicted": p, "count": n}
            for (e, p), n in report.confusions.most_common()
        ],
        "failures": [
            {
                "where": r.item.where,
                "text": r.item.text,
                "expected": list(r.item.expected.commands),
                "predicted": list(r.predicted.commands),
                "wrong_entities": r.wrong_entities,
            }
            for r in results
            if not r.exact
        ],
    }


# --- the command ----------------------------------------------------------------------------


def nlu_eval_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="corpus files or folders (default: the corpus)")
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="dev | test | all: files below a dev/ or test/ folder")
    ] = "all",
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", min=0.0, max=1.0, help="exit 1 when micro F1 is below"),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="write a machine-readable report here")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="list failing items")] = False,
) -> None:
    """Measure the deterministic parser on the labelled corpus (tests/nlu/corpus/README.md)."""
    from dancebot.nlu.understand import understand

    code = run_nlu_eval(
        paths or [PROJECT_ROOT / DEFAULT_CORPUS],
        understand,
        split=split,
        threshold=threshold,
        json_file=json_file,
        verbose=verbose,
        out=Console(soft_wrap=True),
        err=Console(stderr=True, soft_wrap=True),
    )
    raise typer.Exit(code)


def run_nlu_eval(
    paths: list[Path],
    understand: Understand,
    *,
    split: str,
    threshold: float | None,
    json_file: Path | None,
    verbose: bool,
    out: Console,
    err: Console,
) -> int:
    """Load, run, print; the exit code (0 reached the threshold, 1 below it, 2 bad corpus)."""
    if split not in ("dev", "test", "all"):
        err.print(f"--split {split}: use dev, test or all", markup=False)
        return 2
    try:
        corpus = load_corpus(discover(paths, split), root=PROJECT_ROOT)
    except CorpusError as exc:
        err.print("The corpus is invalid:", markup=False)
        for line in exc.problems:
            err.print(f"  {line}", markup=False, highlight=False)
        return 2
    results = run_corpus(corpus, understand)
    report = score(results)
    print_report(out, report, results, verbose)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(json_report(report, results), ensure_ascii=False, indent=2)
        json_file.write_text(text, encoding="utf-8")
    micro_f1 = report.micro.f1
    out.print(f"micro F1 {micro_f1:.3f} over {report.items} messages", markup=False)
    return 1 if threshold is not None and micro_f1 < threshold else 0
