"""Run a script in a fresh interpreter (what this test process imported does not count) and
read what it printed last; ``SERVICES`` gives a script ``with_services(check, **settings)``,
which builds a process's services as the entrypoints do and awaits ``check(services)``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]

SERVICES = """
import asyncio, json, sys, tempfile
from pathlib import Path
from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier, ConsoleOutbox
from dancebot.adapters.clock import SystemClock
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings

async def with_services(check, **fields):
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            _env_file=None,
            kb_path=Path("knowledge/studio_tatyana.yaml"),
            DANCEBOT_VAR_DIR=Path(var),
            llm_provider="off",
            **fields,
        )
        async with build_services(
            settings, clock=SystemClock(), outbox=ConsoleOutbox(), admin=ConsoleAdminNotifier()
        ) as services:
            return await check(services)
"""


def last_line(script: str, *args: str) -> str:
    """The last line ``script`` printed, run from the project folder; fails with its stderr."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]
