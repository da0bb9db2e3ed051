"""The booking fallback queue in Redis (RFC §21): a hash of entries and a sorted set of the
pending ones by creation time. No TTL: an entry leaves only when it is booked, refused or
closed by the admin."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.ports.storage import FallbackEntry


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

    async def size(self) -> int:
        return int(await self._redis.zcard(self._keys.fallback_pending()))

    async def oldest(self) -> datetime | None:
        first = await self._redis.zrange(self._keys.fallback_pending(), 0, 0)
        entry = await self.get(int(first[0])) if first else None
        return entry.created_at if entry else None
