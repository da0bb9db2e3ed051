"""The per-chat processing lock and queue on Redis (owner token, TTL, compare-and-delete)."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage

LOCK_TTL_MS = 60_000  # longer than one turn with the CRM's timeout and retries
QUEUE_TTL_SECONDS = 24 * 3600

# Delete the lock only if we still own it; extend it only if we still own it.
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class RedisChatGate:
    def __init__(self, redis: Redis, *, keys: RedisKeys, lock_ttl_ms: int = LOCK_TTL_MS) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = lock_ttl_ms

    async def enqueue(self, message: UnifiedMessage) -> None:
        key = self._keys.chat_queue(message.channel.value, message.chat_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, message.model_dump_json())
            pipe.expire(key, QUEUE_TTL_SECONDS)
            await pipe.execute()

    async def try_enter(self, channel: Channel, chat_id: str) -> str | None:
        token = uuid.uuid4().hex
        locked = await self._redis.set(
            self._keys.chat_lock(channel.value, chat_id), token, nx=True, px=self._ttl
        )
        return token if locked else None

    async def next_message(
        self, channel: Channel, chat_id: str, token: str
    ) -> UnifiedMessage | None:
        # one round trip: extend our lock, take the next message
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.eval(
                _EXTEND, 1, self._keys.chat_lock(channel.value, chat_id), token, str(self._ttl)
            )
            pipe.lpop(self._keys.chat_queue(channel.value, chat_id))
            _, raw = await pipe.execute()
        if not isinstance(raw, bytes | str):
            return None
        return UnifiedMessage.model_validate_json(raw)

    async def leave(self, channel: Channel, chat_id: str, token: str) -> None:
        await self._redis.eval(_RELEASE, 1, self._keys.chat_lock(channel.value, chat_id), token)

    async def has_queued(self, channel: Channel, chat_id: str) -> bool:
        return bool(await self._redis.llen(self._keys.chat_queue(channel.value, chat_id)))
