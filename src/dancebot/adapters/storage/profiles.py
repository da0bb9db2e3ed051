"""What the bot remembers of a returning client, in Redis with a 90-day TTL (contract §4)."""

from __future__ import annotations

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.ports.storage import ClientProfile

log = structlog.get_logger(__name__)

PROFILE_TTL_SECONDS = 90 * 24 * 3600


class RedisProfileStore:
    """The ``ProfileStore`` port over Redis. Each save restarts the 90-day TTL, so a client
    who keeps coming back is remembered. Redis errors propagate."""

    def __init__(
        self, redis: aioredis.Redis, *, keys: RedisKeys, ttl_seconds: int = PROFILE_TTL_SECONDS
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_seconds = ttl_seconds

    async def load_profile(self, channel: Channel, chat_id: str) -> ClientProfile | None:
        """The stored profile, or None when there is none or it does not parse (logged)."""
        raw = await self._redis.get(self._keys.profile(channel, chat_id))
        if raw is None:
            return None
        try:
            return ClientProfile.model_validate_json(raw)
        except ValidationError as exc:
            log.warning(
                "profile_unreadable_ignored", channel=str(channel), errors=exc.error_count()
            )
            return None

    async def save_profile(self, channel: Channel, chat_id: str, profile: ClientProfile) -> None:
        key = self._keys.profile(channel, chat_id)
        await self._redis.set(key, profile.model_dump_json(), ex=self._ttl_seconds)
