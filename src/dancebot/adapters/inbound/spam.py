"""Contract §8: more than 5 messages in 10 s from one chat → dropped silently (counted)."""

from __future__ import annotations

from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import UnifiedMessage

SPAM_LIMIT = 5
SPAM_WINDOW_SECONDS = 10


class SpamFilter:
    """A fixed 10-second window per chat, judged by the message's own timestamp (so a
    virtual clock works and a retried webhook counts in the window it was sent in)."""

    def __init__(
        self,
        redis: Redis,
        *,
        keys: RedisKeys,
        limit: int = SPAM_LIMIT,
        window_seconds: int = SPAM_WINDOW_SECONDS,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._limit = limit
        self._window = window_seconds

    async def allows(self, message: UnifiedMessage) -> bool:
        window = int(message.timestamp.timestamp()) // self._window
        key = self._keys.chat_rate(message.channel.value, message.chat_id, window)
        count = await self._redis.incr(key)
        if count == 1:
            await self._redis.expire(key, self._window * 2)
        return int(count) <= self._limit
