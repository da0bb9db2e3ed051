"""`dancebot worker --check` (the worker container's probe): healthy exactly while a worker
of this deployment runs, on the real Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from arq.worker import Worker
from tests.conftest import REDIS_URL

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.entrypoints.settings import Settings
from dancebot.entrypoints.worker_process import worker_for
from dancebot.ops.worker_health import worker_health

pytestmark = pytest.mark.redis
PROJECT = Path(__file__).resolve().parents[3]


async def _until(healthy: bool, settings: Settings, *, seconds: float = 30.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        state, detail = await asyncio.to_thread(worker_health, settings)
        if state is healthy:
            return detail
        if loop.time() > deadline:
            raise AssertionError(f"worker health stayed {state} ({detail}) for {seconds} s")
        await asyncio.sleep(0.05)


async def test_check_is_healthy_while_the_worker_runs_and_not_after(
    key_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        redis_url=REDIS_URL,
        DANCEBOT_REDIS_PREFIX=key_prefix,
        DANCEBOT_VAR_DIR=tmp_path,
        impulse_emulator_state="memory",
    )
    healthy, detail = worker_health(settings)
    assert not healthy and "no worker heartbeat" in detail

    worker = Worker(
        **worker_for(settings, keys=RedisKeys(prefix=key_prefix)),
        handle_signals=False,
        poll_delay=0.05,
    )
    task = asyncio.create_task(worker.async_run())
    try:
        detail = await _until(True, settings)
        assert "j_complete=" in detail  # arq's own report of the worker's jobs
        probe = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "dancebot.ops.worker_health"],
            env={**os.environ, "REDIS_URL": REDIS_URL, "DANCEBOT_REDIS_PREFIX": key_prefix},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await worker.close()  # arq removes the heartbeat on a clean stop
    await _until(False, settings)


def test_check_without_redis_is_unhealthy() -> None:
    healthy, detail = worker_health(Settings(_env_file=None, redis_url=None))
    assert not healthy and "REDIS_URL" in detail


def test_check_with_redis_down_is_unhealthy_not_a_crash() -> None:
    healthy, detail = worker_health(Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0"))
    assert not healthy and "unreachable" in detail
