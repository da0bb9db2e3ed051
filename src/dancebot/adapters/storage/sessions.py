"""Conversation sessions in Redis: one JSON document per chat, TTL 24 h (contract §4, §20), and
the due index of their timeouts (D66): a sorted set written in the same transaction as the
session, so the sweeps read only the sessions that are due instead of all of them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from dancebot.adapters.storage import owned_key
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.domain.privacy import mask_phones_in_text
from dancebot.domain.session import Session
from dancebot.ports.storage import DuePolicy

log = structlog.get_logger(__name__)

SESSION_TTL_SECONDS = 24 * 3600
_SCAN_BATCH = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class RedisSessionStore:
    """The ``SessionStore`` and ``SessionDueIndex`` ports over Redis.

    Every save rewrites the whole session and restarts its TTL, so an active chat never
    expires mid-conversation and an abandoned one disappears a day after its last message.
    The same transaction sets the session's entry in the due index from ``due`` (or removes
    it), so the index never misses a save. Redis errors (``redis.exceptions.RedisError``)
    propagate: without its state the conversation cannot go on, and the caller decides how to
    degrade.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: RedisKeys,
        due: DuePolicy,
        ttl_seconds: int = SESSION_TTL_SECONDS,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._due = due
        self._ttl_seconds = ttl_seconds
        self._index = keys.timeouts_due()
        self._complete = f"~complete:v{due.version}"  # the +inf member (keys.timeouts_due)

    async def load(self, channel: Channel, chat_id: str) -> Session | None:
        """The stored session, or None when there is none, it expired, or it does not parse
        (written by an incompatible version: logged, and the chat starts afresh rather than
        failing on every message until the TTL runs out)."""
        key = self._keys.session(channel, chat_id)
        return _parse(key, await self._redis.get(key))

    async def save(self, session: Session) -> None:
        key = self._keys.session(session.channel, session.chat_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, session.model_dump_json(), ex=self._ttl_seconds)
            self._stage_entries(pipe, {_member(session.channel, session.chat_id): session})
            await pipe.execute()

    async def delete(self, channel: Channel, chat_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.session(channel, chat_id))
            pipe.zrem(self._index, _member(channel, chat_id))
            await pipe.execute()

    # the due index (SessionDueIndex)

    async def first_due_at(self) -> datetime | None:
        first = await self._redis.zrange(self._index, 0, 0, withscores=True)
        if not first or math.isinf(first[0][1]):
            return None
        return _from_score(first[0][1])

    async def due_chats(self, now: datetime, *, limit: int) -> list[tuple[Channel, str]]:
        members = await self._redis.zrangebyscore(
            self._index, "-inf", _score(now), start=0, num=limit
        )
        return [_chat_of(member) for member in members]

    async def claim(self, channel: Channel, chat_id: str, *, ttl_seconds: float) -> str | None:
        return await owned_key.take(
            self._redis, self._keys.timeouts_claim(channel, chat_id), ttl_seconds=ttl_seconds
        )

    async def release(self, channel: Channel, chat_id: str, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.timeouts_claim(channel, chat_id), token)

    async def refresh(self, channel: Channel, chat_id: str) -> None:
        key = self._keys.session(channel, chat_id)
        with contextlib.suppress(WatchError):  # saved meanwhile: that save wrote the entry
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.watch(key)
                session = _parse(key, await pipe.get(key))
                pipe.multi()
                self._stage_entries(pipe, {_member(channel, chat_id): session})
                await pipe.execute()

    async def ensure_due_index(self) -> int | None:
        """Build the due index from every stored session, unless it is complete for this
        policy version: one full SCAN after an upgrade, a restore (which drops the index) or
        a changed policy. Returns how many sessions were found with a timeout coming, None
        when the index was complete already. Safe while sessions are being saved, and in
        several processes at once: an entry is written only if its session did not change
        since it was read."""
        if await self._redis.zscore(self._index, self._complete) is not None:
            return None
        indexed = 0
        async for keys in self._session_key_pages():
            indexed += await self._index_page(keys)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self._index, "+inf", "+inf")  # an older version's mark
            pipe.zadd(self._index, {self._complete: math.inf})
            await pipe.execute()
        log.info("timeouts_index_built", sessions=indexed, version=self._due.version)
        return indexed

    async def _index_page(self, keys: list[bytes | str]) -> int:
        """The entries of one page of sessions in one transaction (WATCH, MGET, MULTI); when
        one of them is saved before EXEC, one session at a time instead."""
        sessions: list[Session] = []
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.watch(*keys)
                values = await pipe.mget(keys)
                sessions = [s for k, v in zip(keys, values, strict=True) if (s := _parse(k, v))]
                pipe.multi()
                self._stage_entries(pipe, {_member(s.channel, s.chat_id): s for s in sessions})
                await pipe.execute()
        except WatchError:
            for session in sessions:
                await self.refresh(session.channel, session.chat_id)
        return sum(self._due.due_at(session) is not None for session in sessions)

    def _stage_entries(self, pipe: Pipeline, sessions: dict[str, Session | None]) -> None:
        """Queue the writes of index entries (member → session, None when it is gone): one
        ZADD of the due times, one ZREM of the sessions with nothing due."""
        due: dict[str, int] = {}
        for member, session in sessions.items():
            at = self._due.due_at(session) if session is not None else None
            if at is not None:
                due[member] = _score(at)
        if due:
            pipe.zadd(self._index, due)
        if not_due := [member for member in sessions if member not in due]:
            pipe.zrem(self._index, *not_due)

    async def _session_key_pages(self) -> AsyncIterator[list[bytes | str]]:
        """This deployment's session keys, page by page (SCAN: O(all sessions), so only the
        index's rebuild reads them; a key may come twice when Redis rehashes meanwhile)."""
        cursor: int = 0
        while True:
            cursor, keys = await self._redis.scan(
                cursor, match=self._keys.session_pattern(), count=_SCAN_BATCH
            )
            if keys:
                yield keys
            if cursor == 0:
                return


def _member(channel: Channel, chat_id: str) -> str:
    return f"{channel.value}:{chat_id}"


def _chat_of(member: bytes | str) -> tuple[Channel, str]:
    text = member.decode() if isinstance(member, bytes) else member
    channel, _, chat_id = text.partition(":")
    return Channel(channel), chat_id


def _score(at: datetime) -> int:
    """Whole microseconds since the epoch: exact in a Redis score (a double) until 2255."""
    return (at - _EPOCH) // _MICROSECOND


def _from_score(score: float) -> datetime:
    return _EPOCH + int(score) * _MICROSECOND


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
