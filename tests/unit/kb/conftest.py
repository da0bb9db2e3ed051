"""Helpers for KB tests: the shipped sample and template, and a way to write variants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dancebot.kb import KnowledgeBase, load_kb

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "knowledge" / "studio_tatyana.yaml"
TEMPLATE = ROOT / "knowledge" / "_template.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "kb"

WriteKb = Callable[[dict[str, Any]], Path]


@pytest.fixture(scope="session")
def knowledge_dir() -> Path:
    return ROOT / "knowledge"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def sample_kb() -> KnowledgeBase:
    return load_kb(SAMPLE)


@pytest.fixture
def template_data() -> dict[str, Any]:
    """The template as plain data, a fresh copy for each test to change."""
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def write_kb(tmp_path: Path) -> WriteKb:
    def write(data: dict[str, Any]) -> Path:
        path = tmp_path / "studio.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    return write
