"""The worker survives a Redis restart and keeps delivering (issue 8 item 6): the whole
service over HTTP on a Redis server this test starts and restarts itself (append-only file,
as in production)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs
from tests.e2e.channels.conftest import Stack, open_stack, until
from tests.redis_server import own_redis

from dancebot.entrypoints.worker import ResilientWorker
from dancebot.entrypoints.worker_process import worker_for
from dancebot.testing.fake_telegram.updates import text_update

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

CHAT = 5_000_101


async def _post_until_accepted(stack: Stack, update: dict[str, Any]) -> None:
    """What Telegram does: retry a webhook that was not answered 2xx (503 while our Redis
    client reconnects)."""
    for _ in range(200):
        answer = await stack.post_telegram(update)
        if answer.status_code == 200:
            assert answer.json()["result"] == "accepted"
            return
        assert answer.status_code == 503, answer.text
        await asyncio.sleep(0.05)
    raise AssertionError("the webhook never accepted the update")


async def test_a_redis_restart_under_the_worker_does_not_stop_delivery(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with (
        own_redis(tmp_path / "redis") as server,
        open_stack(postgres_database, key_prefix, tmp_path, redis_url=server.url) as stack,
    ):
        worker = ResilientWorker(
            **worker_for(stack.settings, clock=stack.clock, keys=stack.keys),
            poll_delay=0.05,
            handle_signals=False,
        )
        running = asyncio.create_task(worker.async_run())
        try:
            await _post_until_accepted(
                stack, text_update(CHAT, "сколько стоит контемп", date=stack.clock.now())
            )
            await until(lambda: _sent(stack, 1), seconds=30)

            with capture_logs() as logs:
                await server.stop()  # down long enough for the worker's polls to fail
                await until(lambda: _logged(logs, "worker_redis_unavailable"), seconds=30)
                await server.start()
                await _post_until_accepted(
                    stack, text_update(CHAT, "сколько стоит хай хилс", date=stack.clock.now())
                )
                await until(lambda: _sent(stack, 2), seconds=60)

            assert not running.done(), "the worker stopped"
            assert [e["event"] for e in logs if e["event"] == "worker_redis_unavailable"] == [
                "worker_redis_unavailable"
            ]
            assert any(e["event"] == "worker_redis_back" for e in logs)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            await worker.close()


async def _logged(logs: list[dict[str, Any]], event: str) -> bool:
    return any(e["event"] == event for e in logs)


async def _sent(stack: Stack, count: int) -> bool:
    return len(stack.telegram.sent_messages(CHAT)) >= count
