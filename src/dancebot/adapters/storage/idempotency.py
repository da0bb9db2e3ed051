"""The booking idempotency lock (contract §10, DESIGN §7): one booking per client, lesson
and date, even when the same request is processed twice."""

from __future__ import annotations

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.booking import IDEMPOTENCY_TTL_SECONDS, booking_fingerprint

__all__ = ["IDEMPOTENCY_TTL_SECONDS", "RedisIdempotencyGuard", "booking_fingerprint"]


class RedisIdempotencyGuard:
    """The ``IdempotencyGuard`` port: ``SET key 1 NX EX ttl``, atomic on one Redis, so of two
    concurrent attempts exactly one acquires. Redis errors propagate: without the lock the
    caller must not book."""

    def __init__(self, redis: aioredis.Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def acquire(
        self, fingerprint: str, *, ttl_seconds: int = IDEMPOTENCY_TTL_SECONDS
    ) -> bool:
        """True when the lock was free and is now ours; False when it is already held."""
        taken = await self._redis.set(
            self._keys.idempotency(fingerprint), b"1", nx=True, ex=ttl_seconds
        )
        return bool(taken)

    async def release(self, fingerprint: str) -> None:
        """Free the lock (after a failure that created nothing). Releasing a free lock is a
        no-op."""
        await self._redis.delete(self._keys.idempotency(fingerprint))
