"""Helpers for the runner's integration tests: the fixture scenarios and the sample studio."""

from __future__ import annotations

from pathlib import Path

from dancebot.evaluation.harness import BotFiles
from dancebot.evaluation.loader import LoadedScenario, load_scenario
from dancebot.evaluation.model import Scenario

PROJECT = Path(__file__).resolve().parents[3]
SCENARIOS = PROJECT / "tests/fixtures/scenarios"
SAMPLE = BotFiles(
    kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
    seed_path=PROJECT / "seeds/studio_tatyana.yaml",
)


def scenario(relative: str) -> Scenario:
    loaded = load_scenario(SCENARIOS / relative)
    assert isinstance(loaded, LoadedScenario), loaded
    return loaded.scenario


def write_scenario(folder: Path, body: str) -> Scenario:
    """A scenario written inline by a test (header: telegram chat 2001, Monday 10:00)."""
    path = folder / "inline.yaml"
    path.write_text(
        'id: inline\nnow: "2026-03-02T10:00:00+10:00"\nchannel: telegram\n'
        'user: {chat_id: "2001"}\n' + body,
        encoding="utf-8",
    )
    loaded = load_scenario(path)
    assert isinstance(loaded, LoadedScenario), loaded
    return loaded.scenario
