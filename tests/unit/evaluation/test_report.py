from __future__ import annotations

from pathlib import Path

import pytest

from dancebot.evaluation.report import (
    ScenarioOutcome,
    exit_code,
    json_report,
    required_passes,
    summary_line,
)
from dancebot.evaluation.runner import Failure, RunResult


@pytest.mark.parametrize(
    ("runs", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (9, 6), (10, 7)]
)
def test_required_passes_is_the_ceiling_of_two_thirds(runs: int, needed: int) -> None:
    assert required_passes(runs) == needed


def _run(passed: bool, *, booked_after: int | None = None) -> RunResult:
    failures = [] if passed else [Failure("s", 2, "state", "idle", "state confirm_booking")]
    return RunResult("s", failures, 3, booked_after, 0.1, {})


def _outcome(*passes: bool, name: str = "s", booked_after: int | None = None) -> ScenarioOutcome:
    runs = [_run(p, booked_after=booked_after) for p in passes]
    return ScenarioOutcome(name, Path(f"{name}.yaml"), runs=runs)


def test_a_scenario_passes_when_two_thirds_of_its_runs_pass() -> None:
    assert _outcome(True, False, True).passed
    assert not _outcome(True, False, False).passed
    assert not _outcome(True, False).passed
    assert _outcome(True).passed and not _outcome(False).passed


def test_a_file_that_did_not_load_fails_with_its_problem() -> None:
    broken = ScenarioOutcome("x", Path("x.yaml"), load_problem="x.yaml: not valid YAML")
    assert not broken.passed
    [(run, failure)] = broken.failures
    assert run == 0 and failure.check == "load" and "not valid YAML" in failure.actual


def test_summary_line_and_exit_code() -> None:
    outcomes = [_outcome(True, name="a"), _outcome(False, name="b"), _outcome(True, name="c")]
    assert summary_line(outcomes) == "2 passed, 1 failed"
    assert exit_code(outcomes, threshold=None) == 1
    assert exit_code(outcomes, threshold=0.6) == 0
    assert exit_code(outcomes, threshold=0.7) == 1
    assert exit_code(outcomes[:1], threshold=None) == 0
    assert summary_line([]) == "0 passed, 0 failed"


def test_json_report_has_failures_turns_and_the_booking_average() -> None:
    outcomes = [
        _outcome(True, name="a", booked_after=3),
        _outcome(True, False, True, name="b", booked_after=5),
        _outcome(True, name="c"),
    ]
    report = json_report(outcomes)
    b = report["scenarios"]["b"]
    assert b["passed"] and b["runs"] == 3 and b["runs_passed"] == 2 and b["runs_required"] == 2
    [failure] = b["failures"]
    assert failure == {
        "run": 2,
        "step": 2,
        "check": "state",
        "expected": "idle",
        "reply": "state confirm_booking",
    }
    assert b["user_turns"] == 3 and b["llm_tokens"] == 0 and b["llm_cost"] == 0
    summary = report["summary"]
    assert summary["passed"] == 3 and summary["failed"] == 0
    assert summary["booking_scenarios"] == 2 and summary["avg_user_messages_to_booking"] == 4
