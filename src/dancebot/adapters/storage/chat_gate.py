"""The per-chat processing lock and queue on Redis (owner token, TTL, compare-and-delete)."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from dancebot.adapters.storage import owned_key
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage
from dancebot.ports.storage import Arrival

LOCK_TTL_MS = 60_000  # longer than one turn with the CRM's timeout and retries
QUEUE_TTL_SECONDS = 24 * 3600

# KEYS: lock, queue. ARGV: token, lock TTL (ms), the message (JSON), queue TTL (s).
# Lock taken, queue empty: 1 — the caller handles its own message, which is never queued.
# Lock taken, messages stranded by a holder that died: ours goes last and the oldest is
# returned. Lock held by another: ours is queued for the holder, false.
_ARRIVE = """
local took = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if took and redis.call('llen', KEYS[2]) == 0 then return 1 end
redis.call('rpush', KEYS[2], ARGV[3])
redis.call('expire', KEYS[2], ARGV[4])
if took then return redis.call('lpop', KEYS[2]) end
return false
"""
# KEYS: lock, queue. ARGV: token, lock TTL (ms). Our lock: the next message, the lock
# extended; no message: the lock released — one step, so a message queued after it finds the
# lock free and its sender takes it. Not ours: nothing.
_NEXT_OR_LEAVE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return false end
local raw = redis.call('lpop', KEYS[2])
if raw then redis.call('pexpire', KEYS[1], ARGV[2]) return raw end
redis.call('del', KEYS[1])
return false
"""


class RedisChatGate:
    """The ``ChatGate`` port on Redis, one Lua script (EVALSHA) per call (D79).

    A message to a free chat costs two round trips: take the chat with the message kept in
    hand, then find the queue empty and let go. One that finds the chat held costs two as
    well: queued by its sender, taken by the holder (whose final let-go the turn shares).
    """

    def __init__(self, redis: Redis, *, keys: RedisKeys, lock_ttl_ms: int = LOCK_TTL_MS) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = lock_ttl_ms
        self._arrive_lua = redis.register_script(_ARRIVE)
        self._next_or_leave_lua = redis.register_script(_NEXT_OR_LEAVE)

    async def arrive(self, message: UnifiedMessage) -> Arrival | None:
        token = uuid.uuid4().hex
        got = await self._arrive_lua(
            self._lock_and_queue(message.channel, message.chat_id),
            [token, self._ttl, message.model_dump_json(), QUEUE_TTL_SECONDS],
        )
        if got is None:
            return None  # held: ours is queued for the holder
        if isinstance(got, bytes | str):
            return Arrival(token=token, first=UnifiedMessage.model_validate_json(got))
        return Arrival(token=token, first=message)  # the queue was empty: never queued

    async def next_or_leave(
        self, channel: Channel, chat_id: str, token: str
    ) -> UnifiedMessage | None:
        raw = await self._next_or_leave_lua(
            self._lock_and_queue(channel, chat_id), [token, self._ttl]
        )
        if not isinstance(raw, bytes | str):
            return None
        return UnifiedMessage.model_validate_json(raw)

    async def leave(self, channel: Channel, chat_id: str, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.chat_lock(channel.value, chat_id), token)

    def _lock_and_queue(self, channel: Channel, chat_id: str) -> list[str]:
        return [
            self._keys.chat_lock(channel.value, chat_id),
            self._keys.chat_queue(channel.value, chat_id),
        ]
