"""With ``LLM_PROVIDER=off`` (the default) a process never loads pydantic-ai or the providers'
SDKs: they cost seconds of start-up and ~100 MB per process (issue 12). Run in a fresh
interpreter, so what other tests imported does not count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]

_SCRIPT = """
import asyncio, sys, tempfile
from pathlib import Path
from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier, ConsoleOutbox
from dancebot.adapters.clock import SystemClock
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings

async def main():
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            kb_path=Path("knowledge/studio_tatyana.yaml"),
            impulse_emulator_seed=Path("seeds/studio_tatyana.yaml"),
            impulse_emulator_state="memory",
            DANCEBOT_VAR_DIR=Path(var),
            llm_provider="off",
        )
        async with build_services(
            settings, clock=SystemClock(), outbox=ConsoleOutbox(), admin=ConsoleAdminNotifier()
        ) as services:
            assert services.kb is not None
    heavy = sorted(m for m in ("pydantic_ai", "anthropic", "openai") if m in sys.modules)
    print("loaded:" + ",".join(heavy))

asyncio.run(main())
"""


def test_services_without_an_llm_do_not_import_the_llm_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded:"
