"""The booking fallback queue in Redis (RFC §21): a hash of entries and a sorted set of the
pending ones by creation time. No TTL: an entry leaves only when it is booked, refused or
closed by the admin. Retry passes take a lock (one at a time) and claim each entry before
booking it; the entry's final state is written only while it is still pending (D21)."""

from __future__ import annotations

import uuid
from datetime import datetime

from redis.asyncio import Redis

from dancebot.adapters.storage import owned_key
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.ports.storage import FallbackEntry

_CLAIM = """
if not redis.call('zscore', KEYS[2], ARGV[1]) then return false end
if not redis.call('set', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then return false end
return redis.call('hget', KEYS[1], ARGV[1])
"""
_UPDATE_IF_PENDING = """
if not redis.call('zscore', KEYS[2], ARGV[1]) then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('zrem', KEYS[2], ARGV[1]) end
return 1
"""


class RedisFallbackQueue:
    def __init__(self, redis: Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def add(self, entry: FallbackEntry) -> FallbackEntry:
        number = int(await self._redis.incr(self._keys.fallback_seq()))
        stored = entry.model_copy(update={"id": number})
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.fallback_entries(), str(number), stored.model_dump_json())
            tx.zadd(self._keys.fallback_pending(), {str(number): stored.created_at.timestamp()})
            await tx.execute()
        return stored

    async def pending(self) -> list[FallbackEntry]:
        ids = await self._redis.zrange(self._keys.fallback_pending(), 0, -1)
        if not ids:
            return []
        raws = await self._redis.hmget(self._keys.fallback_entries(), ids)
        return [FallbackEntry.model_validate_json(raw) for raw in raws if raw]

    async def get(self, entry_id: int) -> FallbackEntry | None:
        raw = await self._redis.hget(self._keys.fallback_entries(), str(entry_id))
        return FallbackEntry.model_validate_json(raw) if raw else None

    async def update(self, entry: FallbackEntry) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.hset(self._keys.fallback_entries(), str(entry.id), entry.model_dump_json())
            if entry.status != "pending":
                tx.zrem(self._keys.fallback_pending(), str(entry.id))
            await tx.execute()

    async def update_if_pending(self, entry: FallbackEntry) -> bool:
        written = await self._redis.eval(
            _UPDATE_IF_PENDING,
            2,
            self._keys.fallback_entries(),
            self._keys.fallback_pending(),
            str(entry.id),
            entry.model_dump_json(),
            "0" if entry.status == "pending" else "1",
        )
        return bool(written)

    async def lock_retry_pass(self, ttl_seconds: float) -> str | None:
        return await owned_key.take(
            self._redis, self._keys.fallback_retry_lock(), ttl_seconds=ttl_seconds
        )

    async def unlock_retry_pass(self, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.fallback_retry_lock(), token)

    async def claim(self, entry_id: int, ttl_seconds: float) -> tuple[str, FallbackEntry] | None:
        token = uuid.uuid4().hex
        raw = await self._redis.eval(
            _CLAIM,
            3,
            self._keys.fallback_entries(),
            self._keys.fallback_pending(),
            self._keys.fallback_claim(entry_id),
            str(entry_id),
            token,
            str(int(ttl_seconds * 1000)),
        )
        return (token, FallbackEntry.model_validate_json(raw)) if raw else None

    async def release(self, entry_id: int, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.fallback_claim(entry_id), token)

    async def size(self) -> int:
        return int(await self._redis.zcard(self._keys.fallback_pending()))

    async def oldest(self) -> datetime | None:
        first = await self._redis.zrange(self._keys.fallback_pending(), 0, 0)
        entry = await self.get(int(first[0])) if first else None
        return entry.created_at if entry else None
