"""Stopping the worker while a job is in flight (a SIGTERM in production, the end of a test)
finishes the shutdown: arq's own ``close`` re-raised the cut-off job's ``CancelledError``
and stopped before ``on_shutdown`` closed the database and HTTP clients (CI saw it as a
failing test teardown)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from arq.connections import RedisSettings, create_pool
from arq.worker import func
from tests.conftest import REDIS_URL

from dancebot.entrypoints.worker import ResilientWorker


async def test_close_with_a_job_in_flight_runs_the_shutdown_and_closes_the_pool() -> None:
    queue = f"test-close-{uuid.uuid4().hex[:12]}"
    started = asyncio.Event()
    shut_down: list[str] = []

    async def hangs(ctx: dict[str, Any]) -> None:
        started.set()
        await asyncio.Event().wait()  # cut off by the stop

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        shut_down.append("closed")

    settings = RedisSettings.from_dsn(REDIS_URL)
    pool = await create_pool(settings)
    job = None
    try:
        job = await pool.enqueue_job("hangs", _queue_name=queue)
        assert job is not None
        worker = ResilientWorker(
            functions=[func(hangs, name="hangs")],
            queue_name=queue,
            redis_settings=settings,
            on_shutdown=on_shutdown,
            handle_signals=False,
        )
        running = asyncio.create_task(worker.async_run())
        await asyncio.wait_for(started.wait(), timeout=30)
        assert len(worker.tasks) == 1  # the job is in flight

        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()

        assert shut_down == ["closed"]
        assert worker.tasks == {}
        assert worker._pool is None  # arq's own marker of a closed pool
    finally:
        if job is not None:
            kinds = ("job", "in-progress", "retry", "result")
            await pool.delete(*(f"arq:{kind}:{job.job_id}" for kind in kinds))
        await pool.delete(queue, f"{queue}:health-check")
        await pool.aclose()
