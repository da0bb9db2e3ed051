"""`dancebot eval` as CI runs it: a real process, its exit code and its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.evaluation.scenario_support import PROJECT, SCENARIOS


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS_URL", "DATABASE_URL", "IMPULSE_", "KB_PATH", "LLM_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "dancebot.entrypoints.cli", "eval", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=env,
        timeout=300,
        check=False,
    )


def test_passing_scenarios_exit_0_with_the_summary_as_the_last_line() -> None:
    done = _eval(str(SCENARIOS / "pass" / "booking_wednesday.yaml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "✓ booking-wednesday" in done.stderr


def test_failures_exit_1_and_are_explained_and_reported(tmp_path: Path) -> None:
    report, transcripts = tmp_path / "report.json", tmp_path / "transcripts"
    done = _eval(
        str(SCENARIOS / "fail"),
        str(SCENARIOS / "broken"),
        str(SCENARIOS / "pass" / "duplicate_delivery.yaml"),
        "--json",
        str(report),
        "--transcripts",
        str(transcripts),
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == "1 passed, 4 failed"
    assert "✗ wrong-expectation" in done.stderr and "Вы записаны на Луну" in done.stderr
    assert "unknown key 'reply_contain'" in done.stderr and "bad_yaml.yaml" in done.stderr
    scenarios = json.loads(report.read_text(encoding="utf-8"))["scenarios"]
    assert scenarios["duplicate-delivery"]["passed"] is True
    [press] = scenarios["missing-button"]["failures"]
    assert press["step"] == 2 and "Купить слона" in press["reply"]
    saved = json.loads((transcripts / "wrong-expectation.json").read_text(encoding="utf-8"))
    [run] = saved["runs"]
    assert run["steps"][0]["outbound"][0]["text"] and run["crm"]["reservations"]


def test_threshold_and_runs(tmp_path: Path) -> None:
    done = _eval(
        str(SCENARIOS / "fail" / "wrong_expectation.yaml"),
        str(SCENARIOS / "pass" / "voice_message.yaml"),
        "--runs",
        "2",
        "--threshold",
        "0.5",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 passed, 1 failed"
    assert "0/2 runs" in done.stderr and "2/2 runs" in done.stderr


def test_fake_and_liar_llms_run_the_scenarios_over_http(tmp_path: Path) -> None:
    for mode in ("fake", "liar"):
        report = tmp_path / f"{mode}.json"
        done = _eval(str(SCENARIOS / "pass"), "--llm", mode, "--json", str(report))
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1].endswith("passed, 0 failed")
        assert f"policy enforcer rejections ({mode})" in done.stderr
        assert "invariant" not in done.stdout + done.stderr


def test_a_real_llm_without_settings_refuses_to_run() -> None:
    done = _eval(str(SCENARIOS / "pass"), "--llm", "real")
    assert done.returncode == 2
    assert "LLM_PROVIDER" in done.stderr and done.stdout == ""


def test_an_invalid_knowledge_base_refuses_to_run() -> None:
    bad_kb = PROJECT / "tests/fixtures/kb/teacher_rating.yaml"
    done = _eval(str(SCENARIOS / "pass"), "--kb", str(bad_kb))
    assert done.returncode == 2 and "rating" in done.stderr
