"""The processes that run in production (the app, the worker, the CLI) start without aiogram
or aiohttp (D65: importing aiogram's types alone cost ~170 MB RSS and seconds of start-up;
aiogram is a dev dependency for the parity tests). aiohttp carries the CRM's requests (D82)
and is imported on the first one, never at start-up (~0.4 s)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from tests.unit.entrypoints.fresh_process import SERVICES, last_line

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
_FIRST_CRM_REQUEST = (
    SERVICES
    + """
async def check(services):
    built = "aiohttp" in sys.modules
    healthy = await services.crm.health_check()
    return {"built": built, "healthy": healthy, "asked": "aiohttp" in sys.modules}

print(json.dumps(asyncio.run(with_services(
    check, impulse_base_url=sys.argv[1], impulse_api_key="k"
))))
"""
)


def test_aiohttp_is_imported_on_the_first_crm_request_not_at_start_up() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen = json.loads(last_line(_FIRST_CRM_REQUEST, f"http://127.0.0.1:{port}"))
    assert seen == {"built": False, "healthy": False, "asked": True}
