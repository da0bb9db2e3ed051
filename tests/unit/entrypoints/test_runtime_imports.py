"""The processes that run in production (the app, the worker, the CLI) load neither aiogram
nor aiohttp (D65: importing aiogram's types alone cost ~170 MB RSS and seconds of start-up;
they are dev dependencies for the parity tests and the benchmarks)."""

from __future__ import annotations

import json
import subprocess
import sys

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
