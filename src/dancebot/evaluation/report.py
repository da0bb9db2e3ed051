"""Results of a whole eval: the N-runs rule, the summary line, the exit code, the JSON report,
the transcripts and the progress lines."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from dancebot.evaluation.runner import Failure, RunResult


def required_passes(runs: int) -> int:
    """ceil(2N/3): the RFC's 2-of-3 rule for non-deterministic runs (1 of 1, 2 of 2, 2 of 3,
    3 of 4, 4 of 5 …)."""
    return (2 * runs + 2) // 3


@dataclass
class ScenarioOutcome:
    """A scenario over all its runs; a file that did not load has no runs and fails."""

    scenario_id: str
    path: Path
    runs: list[RunResult] = field(default_factory=list)
    load_problem: str | None = None

    @property
    def runs_passed(self) -> int:
        return sum(run.passed for run in self.runs)

    @property
    def passed(self) -> bool:
        if self.load_problem is not None or not self.runs:
            return False
        return self.runs_passed >= required_passes(len(self.runs))

    @property
    def failures(self) -> list[tuple[int, Failure]]:
        """(run number, failure) over every run; a load problem is run 0."""
        if self.load_problem is not None:
            problem = Failure(
                self.scenario_id, None, "load", "a valid scenario file", self.load_problem
            )
            return [(0, problem)]
        return [(n, f) for n, run in enumerate(self.runs, start=1) for f in run.failures]

    @property
    def turns_to_booking(self) -> float | None:
        """Mean user messages to the first booking over the runs that booked."""
        counts = [r.user_messages_to_booking for r in self.runs]
        booked = [c for c in counts if c is not None]
        return statistics.fmean(booked) if booked else None


def summary_line(outcomes: list[ScenarioOutcome]) -> str:
    passed = sum(o.passed for o in outcomes)
    return f"{passed} passed, {len(outcomes) - passed} failed"


def exit_code(outcomes: list[ScenarioOutcome], *, threshold: float | None) -> int:
    """0 when nothing failed, or when the pass rate reaches ``threshold`` (0..1); else 1."""
    passed = sum(o.passed for o in outcomes)
    if passed == len(outcomes):
        return 0
    if threshold is not None and outcomes and passed / len(outcomes) >= threshold:
        return 0
    return 1


def json_report(outcomes: list[ScenarioOutcome]) -> dict[str, Any]:
    """The ``--json`` document: one entry per scenario id and a summary."""
    scenarios: dict[str, Any] = {}
    for outcome in outcomes:
        runs = outcome.runs
        scenarios[outcome.scenario_id] = {
            "file": str(outcome.path),
            "passed": outcome.passed,
            "runs": len(runs),
            "runs_passed": outcome.runs_passed,
            "runs_required": required_passes(len(runs)) if runs else 1,
            "failures": [_failure_json(run, f) for run, f in outcome.failures],
            "user_turns": max((r.user_messages for r in runs), default=0),
            "user_messages_to_booking": outcome.turns_to_booking,
            "llm_tokens": sum(r.llm_tokens for r in runs),
            "llm_cost": sum(r.llm_cost for r in runs),
            "seconds": round(sum(r.seconds for r in runs), 3),
        }
    booking = [t for o in outcomes if (t := o.turns_to_booking) is not None]
    passed = sum(o.passed for o in outcomes)
    return {
        "scenarios": scenarios,
        "summary": {
            "total": len(outcomes),
            "passed": passed,
            "failed": len(outcomes) - passed,
            "pass_rate": passed / len(outcomes) if outcomes else 1.0,
            "booking_scenarios": len(booking),
            "avg_user_messages_to_booking": statistics.fmean(booking) if booking else None,
            "llm_tokens": sum(s["llm_tokens"] for s in scenarios.values()),
            "llm_cost": sum(s["llm_cost"] for s in scenarios.values()),
        },
    }


def _failure_json(run: int, failure: Failure) -> dict[str, Any]:
    return {
        "run": run,
        "step": failure.step,
        "check": failure.check,
        "expected": failure.expected,
        "reply": failure.actual,
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def write_transcripts(outcomes: list[ScenarioOutcome], folder: Path) -> None:
    """``{folder}/{id}.json`` per scenario: whether it passed and each run's transcript."""
    folder.mkdir(parents=True, exist_ok=True)
    for outcome in outcomes:
        document = {
            "id": outcome.scenario_id,
            "file": str(outcome.path),
            "passed": outcome.passed,
            "load_problem": outcome.load_problem,
            "runs": [run.transcript for run in outcome.runs],
        }
        write_json(folder / f"{outcome.scenario_id}.json", document)


def print_outcome(console: Console, outcome: ScenarioOutcome) -> None:
    """One progress line (✓/✗, id, duration) and, for a failure, its checks and replies."""
    mark = "[green]✓[/green]" if outcome.passed else "[red]✗[/red]"
    seconds = sum(run.seconds for run in outcome.runs)
    runs = f"  {outcome.runs_passed}/{len(outcome.runs)} runs" if len(outcome.runs) > 1 else ""
    console.print(f"{mark} {escape(outcome.scenario_id)}  {seconds:.2f}s{runs}", highlight=False)
    if outcome.passed:
        return
    for run, failure in outcome.failures:
        where = f"step {failure.step}" if failure.step is not None else "scenario"
        prefix = f"run {run}, " if len(outcome.runs) > 1 else ""
        console.print(
            f"    {prefix}{where} · {failure.check}: expected {failure.expected}",
            markup=False,
            highlight=False,
        )
        reply = failure.actual.replace("\n", " ⏎ ")
        console.print(f"      got: {reply}", markup=False, highlight=False, style="dim")
