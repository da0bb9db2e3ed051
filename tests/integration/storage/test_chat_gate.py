"""The per-chat lock and queue, the same test against real Redis and the embedded one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.storage.chat_gate import RedisChatGate
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage


@pytest.fixture
def gate(redis: aioredis.Redis, key_prefix: str) -> RedisChatGate:
    return RedisChatGate(redis, keys=RedisKeys(prefix=key_prefix), lock_ttl_ms=5_000)


def _msg(n: int) -> UnifiedMessage:
    return UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id="7",
        message_id=str(n),
        timestamp=datetime(2026, 3, 2, tzinfo=UTC),
        text=f"m{n}",
    )


async def test_one_holder_at_a_time_and_fifo(gate: RedisChatGate) -> None:
    token = await gate.try_enter(Channel.TELEGRAM, "7")
    assert token is not None
    assert await gate.try_enter(Channel.TELEGRAM, "7") is None
    for n in range(3):
        await gate.enqueue(_msg(n))
    assert await gate.has_queued(Channel.TELEGRAM, "7")
    got = [await gate.next_message(Channel.TELEGRAM, "7", token) for _ in range(4)]
    assert [m.text if m else None for m in got] == ["m0", "m1", "m2", None]
    await gate.leave(Channel.TELEGRAM, "7", token)
    assert await gate.try_enter(Channel.TELEGRAM, "7") is not None


async def test_a_stranger_cannot_release_the_lock(gate: RedisChatGate) -> None:
    token = await gate.try_enter(Channel.TELEGRAM, "7")
    assert token is not None
    await gate.leave(Channel.TELEGRAM, "7", "not-the-owner")
    assert await gate.try_enter(Channel.TELEGRAM, "7") is None
