"""Conversation sessions in Redis: one JSON document per chat, TTL 24 h (contract §4, §20)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.domain.privacy import mask_phones_in_text
from dancebot.domain.session import Session

log = structlog.get_logger(__name__)

SESSION_TTL_SECONDS = 24 * 3600
_SCAN_BATCH = 200


class RedisSessionStore:
    """The ``SessionStore`` port over Redis.

    Every save rewrites the whole session and restarts its TTL, so an active chat never
    expires mid-conversation and an abandoned one disappears a day after its last message.
    Redis errors (``redis.exceptions.RedisError``) propagate: without its state the
    conversation cannot go on, and the caller decides how to degrade.
    """

    def __init__(
        self, redis: aioredis.Redis, *, keys: RedisKeys, ttl_seconds: int = SESSION_TTL_SECONDS
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl_seconds = ttl_seconds

    async def load(self, channel: Channel, chat_id: str) -> Session | None:
        """The stored session, or None when there is none, it expired, or it does not parse
        (written by an incompatible version: logged, and the chat starts afresh rather than
        failing on every message until the TTL runs out)."""
        key = self._keys.session(channel, chat_id)
        return _parse(key, await self._redis.get(key))

    async def save(self, session: Session) -> None:
        key = self._keys.session(session.channel, session.chat_id)
        await self._redis.set(key, session.model_dump_json(), ex=self._ttl_seconds)

    async def delete(self, channel: Channel, chat_id: str) -> None:
        await self._redis.delete(self._keys.session(channel, chat_id))

    async def scan(self) -> AsyncIterator[Session]:
        """Every stored session, in no particular order, read page by page with SCAN + MGET.

        A document that does not parse is logged and skipped, so one bad entry cannot stop
        session recovery; a key that expires between SCAN and MGET is skipped silently.
        SCAN may return a key twice when Redis rehashes meanwhile; callers must tolerate that.
        """
        cursor: int = 0
        while True:
            cursor, keys = await self._redis.scan(
                cursor, match=self._keys.session_pattern(), count=_SCAN_BATCH
            )
            if keys:
                values = await self._redis.mget(keys)
                for key, raw in zip(keys, values, strict=True):
                    session = _parse(key, raw)
                    if session is not None:
                        yield session
            if cursor == 0:
                return


def _parse(key: bytes | str, raw: bytes | str | None) -> Session | None:
    if raw is None:
        return None
    try:
        return Session.model_validate_json(raw)
    except ValidationError as exc:
        # A WhatsApp chat id is the client's phone number, hence the masking.
        key_text = key.decode(errors="replace") if isinstance(key, bytes) else key
        log.warning(
            "session_unreadable_skipped",
            key=mask_phones_in_text(key_text),
            errors=exc.error_count(),
        )
        return None
