"""Inbound dedup on Redis: ``SET NX`` with a 5-minute window (contract §8)."""

from __future__ import annotations

from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel

DEDUP_WINDOW_SECONDS = 300


class RedisInboundDedup:
    def __init__(
        self, redis: Redis, *, keys: RedisKeys, window_seconds: int = DEDUP_WINDOW_SECONDS
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._window = window_seconds

    async def first_seen(self, channel: Channel, dedup_key: str) -> bool:
        created = await self._redis.set(
            self._keys.seen(channel.value, dedup_key), b"1", nx=True, ex=self._window
        )
        return bool(created)
