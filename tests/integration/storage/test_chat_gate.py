"""The per-chat lock and queue, the same test against real Redis and the embedded one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.storage.chat_gate import RedisChatGate
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage

TG = Channel.TELEGRAM


@pytest.fixture
def gate(redis: aioredis.Redis, key_prefix: str) -> RedisChatGate:
    return RedisChatGate(redis, keys=RedisKeys(prefix=key_prefix), lock_ttl_ms=5_000)


def _msg(n: int) -> UnifiedMessage:
    return UnifiedMessage(
        channel=TG,
        chat_id="7",
        message_id=str(n),
        timestamp=datetime(2026, 3, 2, tzinfo=UTC),
        text=f"m{n}",
    )


async def test_one_holder_at_a_time_and_fifo(gate: RedisChatGate) -> None:
    token = await gate.arrive(_msg(0))
    assert token is not None
    # later arrivals are queued behind the holder, who takes them in order
    assert [await gate.arrive(_msg(n)) for n in (1, 2)] == [None, None]
    got = [await gate.next_or_leave(TG, "7", token) for _ in range(3)]
    assert [m.text if m else None for m in got] == ["m0", "m1", "m2"]
    # the queue found empty: the lock is let go in the same step, the next arrival takes it
    assert await gate.next_or_leave(TG, "7", token) is None
    assert await gate.arrive(_msg(3)) is not None


async def test_a_message_queued_while_held_is_not_stranded(gate: RedisChatGate) -> None:
    token = await gate.arrive(_msg(0))
    assert token is not None
    first = await gate.next_or_leave(TG, "7", token)
    assert first is not None and first.text == "m0"
    assert await gate.arrive(_msg(1)) is None  # held: queued for the holder
    second = await gate.next_or_leave(TG, "7", token)
    assert second is not None and second.text == "m1"
    assert await gate.next_or_leave(TG, "7", token) is None


async def test_a_stranger_can_neither_release_nor_drain(gate: RedisChatGate) -> None:
    token = await gate.arrive(_msg(0))
    assert token is not None
    await gate.leave(TG, "7", "not-the-owner")
    assert await gate.next_or_leave(TG, "7", "not-the-owner") is None
    assert await gate.arrive(_msg(1)) is None  # still held by the owner
    got = await gate.next_or_leave(TG, "7", token)
    assert got is not None and got.text == "m0"  # nothing was taken by the stranger


async def test_a_failed_turn_lets_go_of_the_chat(gate: RedisChatGate) -> None:
    token = await gate.arrive(_msg(0))
    assert token is not None
    await gate.leave(TG, "7", token)
    assert await gate.arrive(_msg(1)) is not None
