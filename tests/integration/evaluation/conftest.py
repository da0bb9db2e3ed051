"""Scenario files from tests/fixtures/scenarios run through the real runner: a fresh bot per
scenario on fakeredis, SQLite in a temp folder and the in-memory Impulse emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.integration.evaluation.scenario_support import SAMPLE

from dancebot.evaluation.harness import Workspace


@pytest.fixture
async def workspace() -> AsyncIterator[Workspace]:
    async with Workspace.open(SAMPLE) as opened:
        yield opened
