"""Retention (RFC §23.4, contract §4) as due work of the worker: what people wrote is kept
only as long as it is useful.

- After ``text_days``: message texts are emptied and the chat id (a phone number on
  WhatsApp) is replaced by a stable pseudonym (``anon:`` + a hash), in ``messages`` and
  ``booking_attempts``; tool-call arguments are emptied. Counts, states, outcomes and times
  stay, so the KPI report still sees how conversations went.
- After ``audit_days``: rows of ``messages``, ``booking_attempts``, ``tool_calls``,
  ``llm_calls``, ``errors`` and resolved ``dead_letter_messages`` are deleted.
- Sessions (24 h) and profiles (90 d) expire by their Redis TTL; nothing to do here.

A pass runs at most once per ``every`` across all processes (a Redis key with a TTL).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.metrics import RETENTION_ROWS
from dancebot.adapters.storage.db.models import (
    BookingAttemptRow,
    DeadLetterMessageRow,
    ErrorRow,
    LlmCallRow,
    MessageRow,
    ToolCallRow,
)
from dancebot.adapters.storage.keys import RedisKeys

log = structlog.get_logger(__name__)

ANON_PREFIX = "anon:"
_DELETED_AFTER_AUDIT_DAYS: tuple[Any, ...] = (
    MessageRow,
    BookingAttemptRow,
    ToolCallRow,
    LlmCallRow,
    ErrorRow,
)


def pseudonym(chat_id: str) -> str:
    """The same chat always gets the same pseudonym; the phone cannot be read back."""
    return ANON_PREFIX + hashlib.sha256(chat_id.encode()).hexdigest()[:16]


class Retention:
    """Due work (``next_due_at`` / ``run_due``) applying the retention rules. 0 days turns
    a rule off. ``run_due`` raises SQLAlchemy or Redis errors (the due-work loop logs them)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        redis: Redis,
        keys: RedisKeys,
        text_days: int,
        audit_days: int,
        every: timedelta = timedelta(hours=1),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._key = keys.retention_pass()
        self._text_days = text_days
        self._audit_days = audit_days
        self._every = every

    async def next_due_at(self) -> datetime | None:
        return None  # looked at on every tick; the Redis key spaces the passes

    async def run_due(self, now: datetime) -> int:
        """One pass if none ran within ``every``; returns the rows changed."""
        if not (self._text_days or self._audit_days):
            return 0
        if not await self._redis.set(self._key, now.isoformat(), nx=True, ex=self._every_s):
            return 0
        return await self.apply(now)

    @property
    def _every_s(self) -> int:
        return max(1, int(self._every.total_seconds()))

    async def apply(self, now: datetime) -> int:
        """The rules as of ``now``, whatever ran before."""
        changed = 0
        if self._audit_days:
            changed += await self._delete_older_than(now - timedelta(days=self._audit_days))
        if self._text_days:
            changed += await self._anonymise_older_than(now - timedelta(days=self._text_days))
        if changed:
            log.info("retention_applied", rows=changed)
        return changed

    async def _delete_older_than(self, cutoff: datetime) -> int:
        deleted = 0
        async with self._sessionmaker.begin() as session:
            for table in _DELETED_AFTER_AUDIT_DAYS:
                result = await session.execute(delete(table).where(table.created_at < cutoff))
                deleted += _count(result, table.__tablename__, "deleted")
            resolved = DeadLetterMessageRow
            result = await session.execute(
                delete(resolved).where(
                    resolved.resolved_at.is_not(None), resolved.resolved_at < cutoff
                )
            )
            deleted += _count(result, resolved.__tablename__, "deleted")
        return deleted

    async def _anonymise_older_than(self, cutoff: datetime) -> int:
        changed = 0
        async with self._sessionmaker.begin() as session:
            for table, extra in ((MessageRow, {"text": ""}), (BookingAttemptRow, {})):
                old = (table.created_at < cutoff) & ~table.chat_id.startswith(ANON_PREFIX)
                chats = (await session.scalars(select(table.chat_id).where(old).distinct())).all()
                for chat_id in chats:
                    result = await session.execute(
                        update(table)
                        .where(old, table.chat_id == chat_id)
                        .values(chat_id=pseudonym(chat_id), **extra)
                    )
                    changed += _count(result, table.__tablename__, "anonymised")
            result = await session.execute(
                update(ToolCallRow)
                .where(ToolCallRow.created_at < cutoff, ToolCallRow.arguments != {})
                .values(arguments={})
            )
            changed += _count(result, ToolCallRow.__tablename__, "anonymised")
        return changed


def _count(result: Any, table: str, action: str) -> int:
    rows = int(getattr(result, "rowcount", 0) or 0)
    if rows:
        RETENTION_ROWS.labels(table, action).inc(rows)
    return rows
