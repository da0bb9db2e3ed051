"""The WhatsApp 24 h customer-service window, per chat (RFC §19.1).

WhatsApp accepts free-form messages (text, buttons) only within 24 hours of the client's last
message; after that only an approved template goes (else error 131047). The window is kept in
Redis so every app replica and the worker judge it alike, and judged by the caller's clock so
scenario runs with a virtual clock behave like production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys

WINDOW = timedelta(hours=24)
# The key outlives the window a little, so a clock slightly behind Redis still finds it.
_KEY_TTL_SECONDS = int((WINDOW + timedelta(hours=1)).total_seconds())
_MEMBER = b"last_inbound"


class ConversationWindow:
    """When each WhatsApp chat last wrote, and whether the bot may still answer freely.

    Redis errors propagate (the caller decides: the outbound worker may send anyway and let
    WhatsApp's own 131047 answer decide).
    """

    def __init__(self, redis: aioredis.Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def opened(self, chat_id: str, at: datetime) -> None:
        """The client wrote at ``at`` (an aware datetime). An earlier time than the one kept
        (a delayed webhook) does not move the window back."""
        key = self._keys.wa_window(chat_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            # ZADD GT keeps the latest time atomically, whatever order webhooks arrive in.
            pipe.zadd(key, {_MEMBER: at.timestamp()}, gt=True)
            pipe.expire(key, _KEY_TTL_SECONDS)
            await pipe.execute()

    async def last_inbound(self, chat_id: str) -> datetime | None:
        """When the client last wrote (UTC), or None when unknown or long ago."""
        score = await self._redis.zscore(self._keys.wa_window(chat_id), _MEMBER)
        if score is None:
            return None
        return datetime.fromtimestamp(float(score), tz=UTC)

    async def is_open(self, chat_id: str, now: datetime) -> bool:
        """Whether a free-form message to ``chat_id`` is allowed at ``now``: the client wrote
        less than 24 hours before ``now``."""
        last = await self.last_inbound(chat_id)
        return last is not None and now < last + WINDOW
