"""The prompt regression runner against the fake LLM over HTTP: the project's suites pass,
a suite below its threshold fails the gate (exit 1), a broken suite cannot run (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.prompt_regression.runner import SUITES, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/prompt_regression"


def test_the_suites_pass_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--llm", "fake", str(SUITES)]) == 0
    out = capsys.readouterr().out
    assert "PASS understanding" in out and "PASS phrasing" in out


def test_a_suite_below_its_threshold_blocks_the_deploy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--llm", "fake", str(FIXTURES / "below_threshold.yaml")]) == 1
    assert "FAIL impossible: 1/2 (50%, threshold 90%)" in capsys.readouterr().out


def test_an_invalid_suite_cannot_run(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("suite: x\ncases: []\n", encoding="utf-8")
    assert main(["--llm", "fake", str(broken)]) == 2
