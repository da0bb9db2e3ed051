"""The per-chat lock and queue, the same test against real Redis and the embedded one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

from dancebot.adapters.storage.chat_gate import RedisChatGate
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage

TG = Channel.TELEGRAM


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
def gate(redis: aioredis.Redis, keys: RedisKeys) -> RedisChatGate:
    return RedisChatGate(redis, keys=keys, lock_ttl_ms=5_000)


def _msg(n: int, *, chat_id: str = "7") -> UnifiedMessage:
    return UnifiedMessage(
        channel=TG,
        chat_id=chat_id,
        message_id=str(n),
        timestamp=datetime(2026, 3, 2, tzinfo=UTC),
        text=f"m{n}",
    )


async def _drain(gate: RedisChatGate, token: str) -> list[str]:
    """What the holder takes from the queue, until the gate lets go of the chat."""
    texts = []
    while (message := await gate.next_or_leave(TG, "7", token)) is not None:
        texts.append(message.text or "")
    return texts


async def test_one_holder_at_a_time_and_fifo(gate: RedisChatGate) -> None:
    arrival = await gate.arrive(_msg(0))
    assert arrival is not None and arrival.first.text == "m0"
    # later arrivals are queued behind the holder, who takes them in order
    assert [await gate.arrive(_msg(n)) for n in (1, 2)] == [None, None]
    assert await _drain(gate, arrival.token) == ["m1", "m2"]
    # the queue found empty: the lock was let go in the same step, the next arrival takes it
    again = await gate.arrive(_msg(3))
    assert again is not None and again.first.text == "m3"


async def test_a_free_chat_hands_back_the_message_without_queuing_it(
    gate: RedisChatGate, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    message = _msg(0)
    arrival = await gate.arrive(message)
    assert arrival is not None
    assert arrival.first is message  # the caller's own object: never written and read back
    assert await redis.exists(keys.chat_queue(TG.value, "7")) == 0
    assert await redis.get(keys.chat_lock(TG.value, "7")) == arrival.token.encode()
    assert await gate.next_or_leave(TG, "7", arrival.token) is None
    assert await redis.exists(keys.chat_lock(TG.value, "7")) == 0


async def test_messages_stranded_by_a_dead_holder_come_first_in_order(
    gate: RedisChatGate, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    dead = await gate.arrive(_msg(0))
    assert dead is not None
    assert [await gate.arrive(_msg(n)) for n in (1, 2)] == [None, None]
    # the holder died with m1 and m2 queued; its lock runs out
    await redis.delete(keys.chat_lock(TG.value, "7"))
    arrival = await gate.arrive(_msg(3))
    assert arrival is not None and arrival.first.text == "m1"
    assert await gate.next_or_leave(TG, "7", dead.token) is None  # no longer the holder's
    assert await _drain(gate, arrival.token) == ["m2", "m3"]
    assert await redis.exists(keys.chat_queue(TG.value, "7")) == 0


async def test_a_message_queued_while_held_is_not_stranded(gate: RedisChatGate) -> None:
    arrival = await gate.arrive(_msg(0))
    assert arrival is not None
    assert await gate.arrive(_msg(1)) is None  # held: queued for the holder
    assert await _drain(gate, arrival.token) == ["m1"]
    after = await gate.arrive(_msg(2))  # the chat was let go: nobody is left holding it
    assert after is not None and after.first.text == "m2"


async def test_a_stranger_can_neither_release_nor_drain(gate: RedisChatGate) -> None:
    arrival = await gate.arrive(_msg(0))
    assert arrival is not None
    await gate.leave(TG, "7", "not-the-owner")
    assert await gate.arrive(_msg(1)) is None  # still held by the owner
    assert await gate.next_or_leave(TG, "7", "not-the-owner") is None
    assert await _drain(gate, arrival.token) == ["m1"]  # nothing was taken by the stranger


async def test_a_failed_turn_lets_go_of_the_chat(gate: RedisChatGate) -> None:
    arrival = await gate.arrive(_msg(0))
    assert arrival is not None
    await gate.leave(TG, "7", arrival.token)
    after = await gate.arrive(_msg(1))
    assert after is not None and after.first.text == "m1"


async def test_a_message_to_a_free_chat_costs_two_round_trips(
    gate: RedisChatGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another chat first: the connection is open and the server knows both scripts (the first
    # EVALSHA of a script the server has not seen costs a SCRIPT LOAD and a retry, once).
    warm = await gate.arrive(_msg(0, chat_id="8"))
    assert warm is not None
    assert await gate.next_or_leave(TG, "8", warm.token) is None

    sent: list[bytes] = []  # one entry per write to the server: a round trip
    send = AbstractConnection.send_packed_command

    async def counted(
        self: AbstractConnection, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        packed = command.encode() if isinstance(command, str) else command
        sent.append(packed if isinstance(packed, bytes) else b"".join(packed))
        await send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    arrival = await gate.arrive(_msg(1))
    assert arrival is not None
    assert await gate.next_or_leave(TG, "7", arrival.token) is None
    monkeypatch.undo()
    assert len(sent) == 2, sent
    assert all(b"EVALSHA" in command for command in sent), sent  # not the scripts' text
