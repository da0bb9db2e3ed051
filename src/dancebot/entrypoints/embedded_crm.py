"""The embedded CRM: the Impulse emulator in process, reached over HTTP by the real client."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from dancebot.entrypoints.settings import Settings
from dancebot.ports.clock import Clock

if TYPE_CHECKING:  # the emulator is imported only when a process runs it
    from dancebot.adapters.crm.impulse.emulator.state import EmulatorState

STATE_FILE_NAME = "impulse_emulator_state.json"


def emulator_state_file(settings: Settings) -> Path | None:
    """Where the embedded emulator keeps its data between runs (None: memory only)."""
    raw = settings.impulse_emulator_state
    if raw is not None and raw.strip().lower() in ("", "memory", "off"):
        return None
    path = Path(raw) if raw else Path(settings.var_dir) / STATE_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def embedded_emulator(settings: Settings, *, clock: Clock) -> EmulatorState:
    """The emulator's state from the seed (or the kept state file). Raises ``SeedError``."""
    from dancebot.adapters.crm.impulse.emulator.state import EmulatorState

    return EmulatorState.from_seed_file(
        settings.resolve(settings.impulse_emulator_seed),
        now=clock.now,
        state_file=emulator_state_file(settings),
    )


def emulator_transport(state: EmulatorState, settings: Settings) -> httpx.ASGITransport:
    from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app

    app = create_emulator_app(
        state,
        api_key=settings.impulse_api_key.get_secret_value(),
        api_path=settings.impulse_api_path,
    )
    return httpx.ASGITransport(app=app)
