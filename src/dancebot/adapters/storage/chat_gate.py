"""The per-chat processing lock and queue on Redis (owner token, TTL, compare-and-delete)."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from dancebot.adapters.storage import owned_key
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage

LOCK_TTL_MS = 60_000  # longer than one turn with the CRM's timeout and retries
QUEUE_TTL_SECONDS = 24 * 3600

# Our lock: the next message, the lock extended; no message: the lock released — one step, so
# a message queued after it finds the lock free and its sender takes it. Not ours: nothing.
_NEXT_OR_LEAVE = (
    "if redis.call('get', KEYS[1]) ~= ARGV[1] then return false end "
    "local raw = redis.call('lpop', KEYS[2]) "
    "if raw then redis.call('pexpire', KEYS[1], ARGV[2]) return raw end "
    "redis.call('del', KEYS[1]) return false"
)


class RedisChatGate:
    """The ``ChatGate`` port on Redis: a message costs two round trips (queue and try the
    lock; take it) and a drained queue one more (find it empty and let go)."""

    def __init__(self, redis: Redis, *, keys: RedisKeys, lock_ttl_ms: int = LOCK_TTL_MS) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = lock_ttl_ms

    async def arrive(self, message: UnifiedMessage) -> str | None:
        channel, chat_id = message.channel.value, message.chat_id
        queue = self._keys.chat_queue(channel, chat_id)
        token = uuid.uuid4().hex
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(queue, message.model_dump_json())
            pipe.expire(queue, QUEUE_TTL_SECONDS)
            pipe.set(self._keys.chat_lock(channel, chat_id), token, nx=True, px=self._ttl)
            *_, locked = await pipe.execute()
        return token if locked else None

    async def next_or_leave(
        self, channel: Channel, chat_id: str, token: str
    ) -> UnifiedMessage | None:
        raw = await self._redis.eval(
            _NEXT_OR_LEAVE,
            2,
            self._keys.chat_lock(channel.value, chat_id),
            self._keys.chat_queue(channel.value, chat_id),
            token,
            str(self._ttl),
        )
        if not isinstance(raw, bytes | str):
            return None
        return UnifiedMessage.model_validate_json(raw)

    async def leave(self, channel: Channel, chat_id: str, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.chat_lock(channel.value, chat_id), token)
