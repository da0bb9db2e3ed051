"""Running the emulator as an HTTP server (``dancebot emulator --seed FILE --port N``)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState


def run_emulator(
    *,
    seed: Path,
    host: str = "127.0.0.1",
    port: int,
    api_key: str,
    api_path: str = "/api/public",
    state_file: Path | None = None,
) -> None:
    """Serve the emulator on ``host:port`` until interrupted (blocks).

    Raises ``SeedError`` before listening when the seed (or the saved state) is broken, and
    ``OSError`` when the port cannot be bound.
    """
    state = EmulatorState.from_seed_file(seed, state_file=state_file)
    app = create_emulator_app(state, api_key=api_key, api_path=api_path)
    # The app logs every request itself (without headers); uvicorn's access log would repeat it.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
