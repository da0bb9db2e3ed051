"""Running every scenario under some paths, each ``runs`` times, one after the other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from dancebot.evaluation.harness import BotFiles, LlmSetup, Workspace
from dancebot.evaluation.loader import LoadProblem, load_all
from dancebot.evaluation.report import ScenarioOutcome
from dancebot.evaluation.runner import run_scenario


async def run_suite(
    paths: list[Path],
    files: BotFiles,
    *,
    runs: int = 1,
    on_outcome: Callable[[ScenarioOutcome], None] | None = None,
    llm: LlmSetup | None = None,
    rejections: Counter[str] | None = None,
    keep_database: str | None = None,
) -> list[ScenarioOutcome]:
    """Load and run everything under ``paths`` (files that do not load fail, the rest still
    run); ``on_outcome`` hears about each scenario as soon as it is done. ``llm`` says which
    LLM the bots use (none by default); the policy enforcer's rejections are added to
    ``rejections``. ``keep_database``: write every scenario's audit rows to this database URL
    and keep them."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    outcomes: list[ScenarioOutcome] = []
    async with Workspace.open(files, llm, keep_database=keep_database) as workspace:
        for item in load_all(paths):
            if isinstance(item, LoadProblem):
                outcome = ScenarioOutcome(item.scenario_id, item.path, load_problem=item.message)
            else:
                results = [await run_scenario(item.scenario, workspace) for _ in range(runs)]
                outcome = ScenarioOutcome(item.scenario.id, item.path, runs=results)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        if rejections is not None:
            rejections.update(workspace.rejections)
    return outcomes
