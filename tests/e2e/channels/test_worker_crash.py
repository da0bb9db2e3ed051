"""The worker killed (SIGKILL) in the middle of a send, then restarted: the message is
delivered exactly once (and not lost)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import redis.asyncio as aioredis
from tests.conftest import REDIS_URL
from tests.e2e.channels.conftest import PROJECT, until

from dancebot.adapters.queue.outbox import ArqOutbox, arq_pool
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.serve import serve_app


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dancebot.entrypoints.cli", "worker"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_sigkill_mid_send_then_restart_delivers_exactly_once(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    telegram = FakeTelegram()
    keys = RedisKeys(prefix=key_prefix)
    redis = aioredis.from_url(REDIS_URL)
    async with serve_app(create_fake_telegram_app(telegram)) as tg_url:
        env = {
            **os.environ,
            "REDIS_URL": REDIS_URL,
            "DANCEBOT_REDIS_PREFIX": key_prefix,
            "DATABASE_URL": postgres_database,
            "DANCEBOT_VAR_DIR": str(tmp_path),
            "IMPULSE_EMULATOR_STATE": "memory",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE": tg_url,
            "OUTBOUND_SEND_TIMEOUT_SECONDS": "1.5",
        }
        telegram.fail_next("hold", seconds=30, method="sendMessage")  # the send hangs…
        message = OutboundMessage(
            channel=Channel.TELEGRAM, chat_id="555", text="Готово, вы записаны ✅"
        )
        await ArqOutbox(arq_pool(redis), keys=keys).put(message)
        log = tmp_path / "worker.log"
        first = _worker(env, log)
        try:
            await until(lambda: _async(len(telegram.calls_to("sendMessage")) == 1), seconds=60)
            first.send_signal(signal.SIGKILL)  # …and the worker dies in the middle of it
            first.wait(timeout=10)
            await until(lambda: _async(telegram.dropped_calls == 1), seconds=10)
            assert telegram.sent_messages("555") == []
            second = _worker(env, log)
            try:
                await until(lambda: _async(len(telegram.sent_messages("555")) >= 1), seconds=60)
                await asyncio.sleep(2.0)  # time for a wrong second send to show up
            finally:
                second.terminate()
                second.wait(timeout=20)
        finally:
            if first.poll() is None:
                first.kill()
    assert [m.text for m in telegram.sent_messages("555")] == ["Готово, вы записаны ✅"]
    async for key in redis.scan_iter(match=f"{key_prefix}:*"):
        await redis.delete(key)
    await redis.aclose()


async def _async(value: bool) -> bool:
    return value
