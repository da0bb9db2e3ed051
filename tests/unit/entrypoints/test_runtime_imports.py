"""The processes that run in production (the app, the worker, the CLI) start without aiogram
or aiohttp (D65: importing aiogram's types alone cost ~170 MB RSS and seconds of start-up;
aiogram is a dev dependency for the parity tests). aiohttp carries the CRM's requests (D82)
and is imported on the first one, never at start-up (~0.4 s)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]

ENTRYPOINTS = (
    "dancebot.entrypoints.app",
    "dancebot.entrypoints.worker",
    "dancebot.entrypoints.worker_process",
    "dancebot.entrypoints.cli",
)
FORBIDDEN = ("aiogram", "aiohttp")

# imports each module named on its command line in turn; prints which forbidden ones are loaded
_PROBE = f"""
import importlib, json, sys
loaded = {{}}
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded[name] = sorted(m for m in {FORBIDDEN!r} if m in sys.modules)
print(json.dumps(loaded))
"""


def test_no_entrypoint_loads_aiogram_or_aiohttp() -> None:
    # a fresh interpreter: this test process has imported aiogram for the parity tests
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *ENTRYPOINTS],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {name: [] for name in ENTRYPOINTS}


def test_the_probe_sees_a_loaded_module() -> None:
    """The check above can fail: the same probe notices aiogram when something imports it."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "aiogram.enums"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "aiogram" in loaded["aiogram.enums"]


_LLM_OFF = """
import json, sys
from dancebot.entrypoints.ai_layer import model_specs
from dancebot.entrypoints.settings import Settings
specs = model_specs(Settings(_env_file=None, llm_provider="off"))
sdks = sorted(m for m in ("pydantic_ai", "anthropic", "openai") if m in sys.modules)
print(json.dumps([specs, sdks]))
"""


def test_with_the_llm_off_no_llm_sdk_is_loaded() -> None:
    """pydantic-ai and the SDKs cost seconds and ~80 MB: only a configured LLM loads them."""
    done = subprocess.run(
        [sys.executable, "-c", _LLM_OFF], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[], []]


# builds a process's services with a network CRM (a port nobody listens on), then asks it once
_FIRST_CRM_REQUEST = """
import asyncio, json, sys, tempfile
from pathlib import Path
from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier, ConsoleOutbox
from dancebot.adapters.clock import SystemClock
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings

async def main():
    seen = {}
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            _env_file=None,
            kb_path=Path("knowledge/studio_tatyana.yaml"),
            impulse_base_url=sys.argv[1],
            impulse_api_key="k",
            DANCEBOT_VAR_DIR=Path(var),
            llm_provider="off",
        )
        async with build_services(
            settings, clock=SystemClock(), outbox=ConsoleOutbox(), admin=ConsoleAdminNotifier()
        ) as services:
            seen["built"] = "aiohttp" in sys.modules
            seen["healthy"] = await services.crm.health_check()
            seen["asked"] = "aiohttp" in sys.modules
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_aiohttp_is_imported_on_the_first_crm_request_not_at_start_up() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CRM_REQUEST, f"http://127.0.0.1:{port}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"built": False, "healthy": False, "asked": True}
