"""Fixtures for the Impulse emulator tests: the sample studio's state at a fixed instant and
an HTTP client that talks to the emulator app through ``httpx.ASGITransport``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.integration.emulator.emulator_support import (
    API_KEY,
    API_PATH,
    REFERENCE_NOW,
    STUDIO_SEED,
    Crm,
    basic,
)

from dancebot.adapters.crm.impulse.emulator import EmulatorState, create_emulator_app


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState.from_seed_file(STUDIO_SEED, now=lambda: REFERENCE_NOW)


@pytest.fixture
async def http(state: EmulatorState) -> AsyncIterator[httpx.AsyncClient]:
    """An authorised client (``base64(key:)``)."""
    app = create_emulator_app(state, api_key=API_KEY, api_path=API_PATH)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": basic(f"{API_KEY}:")}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=headers
    ) as client:
        yield client


@pytest.fixture
def crm(http: httpx.AsyncClient) -> Crm:
    return Crm(http)
