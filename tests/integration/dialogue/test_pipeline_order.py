"""``InboundPipeline`` over the real chat gate, on the real Redis and the embedded fakeredis:
one chat's messages are handled one at a time and in arrival order, whoever called
``process``; a failed turn lets go of the chat without losing what waited behind it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import cast

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.storage.chat_gate import RedisChatGate
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.dialogue.engine import ConversationEngine
from dancebot.dialogue.pipeline import InboundPipeline
from dancebot.domain.messages import Channel, OutboundMessage, UnifiedMessage
from dancebot.ports.storage import InboundDedup

TG = Channel.TELEGRAM


class TurnFailed(Exception):
    pass


class RecordingEngine:
    """Stands in for the engine: answers ``re: <text>``, records what it handled and how many
    turns ran at once; the turn of ``hold`` waits for ``release`` (then fails if ``fail``)."""

    def __init__(self, redis: aioredis.Redis, *, hold: str = "", fail: bool = False) -> None:
        self._redis = redis
        self._hold = hold
        self._fail = fail
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.handled: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle(self, message: UnifiedMessage) -> list[OutboundMessage]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self._redis.ping()  # a turn does I/O: other tasks run meanwhile
            if message.text == self._hold:
                self.started.set()
                await self.release.wait()
                if self._fail:
                    raise TurnFailed(message.text)
            self.handled.append(message.text or "")
            return [
                OutboundMessage(channel=TG, chat_id=message.chat_id, text=f"re: {message.text}")
            ]
        finally:
            self.in_flight -= 1


def _pipeline(engine: RecordingEngine, redis: aioredis.Redis, key_prefix: str) -> InboundPipeline:
    gate = RedisChatGate(redis, keys=RedisKeys(prefix=key_prefix), lock_ttl_ms=5_000)
    dedup = cast(InboundDedup, object())  # process() is past dedup
    return InboundPipeline(cast(ConversationEngine, engine), dedup=dedup, gate=gate)


def _msg(n: int) -> UnifiedMessage:
    return UnifiedMessage(
        channel=TG,
        chat_id="7",
        message_id=str(n),
        timestamp=datetime(2026, 3, 2, tzinfo=UTC),
        text=f"m{n}",
    )


async def test_messages_arriving_during_a_turn_are_handled_after_it_in_order(
    redis: aioredis.Redis, key_prefix: str
) -> None:
    engine = RecordingEngine(redis, hold="m1")
    pipeline = _pipeline(engine, redis, key_prefix)
    first = asyncio.create_task(pipeline.process(_msg(1)))
    await engine.started.wait()  # m1's turn is under way
    assert await pipeline.process(_msg(2)) == []  # held: queued for m1's caller
    assert await pipeline.process(_msg(3)) == []
    engine.release.set()
    replies = await first
    assert [r.text for r in replies] == ["re: m1", "re: m2", "re: m3"]
    assert engine.handled == ["m1", "m2", "m3"] and engine.most_in_flight == 1
    after = await pipeline.process(_msg(4))  # the chat was let go
    assert [r.text for r in after] == ["re: m4"]


async def test_racing_calls_handle_each_message_once_and_one_at_a_time(
    redis: aioredis.Redis, key_prefix: str
) -> None:
    engine = RecordingEngine(redis)
    pipeline = _pipeline(engine, redis, key_prefix)
    results = await asyncio.gather(*(pipeline.process(_msg(n)) for n in range(20)))
    replies = [r.text for batch in results for r in batch]
    # which call holds the chat, and so the order of arrival, is the race's; each message is
    # handled once, by one turn at a time, and answered to whichever call handled it
    assert sorted(engine.handled) == sorted(f"m{n}" for n in range(20))
    assert sorted(replies) == sorted(f"re: m{n}" for n in range(20))
    assert engine.most_in_flight == 1


async def test_a_failed_turn_lets_go_and_what_waited_is_handled_first(
    redis: aioredis.Redis, key_prefix: str
) -> None:
    engine = RecordingEngine(redis, hold="m1", fail=True)
    pipeline = _pipeline(engine, redis, key_prefix)
    first = asyncio.create_task(pipeline.process(_msg(1)))
    await engine.started.wait()
    assert await pipeline.process(_msg(2)) == []  # queued behind the turn that will fail
    engine.release.set()
    with pytest.raises(TurnFailed):
        await first
    # the chat was let go: the next message takes it, after m2 which waited
    replies = await pipeline.process(_msg(3))
    assert [r.text for r in replies] == ["re: m2", "re: m3"]
    assert engine.handled == ["m2", "m3"]
