"""The dead-letter table (contract §9: ``dead_letter_messages``): outbound messages that could
not be delivered, kept whole so an admin can see them and send them again. When more than ten
are open the admin is told, at most once an hour.

The row keeps the message as it was (its text and chat id are what must be resent); the error
text is stored with phones masked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.storage.db.models import DeadLetterMessageRow
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import OutboundMessage
from dancebot.domain.privacy import mask_phones_in_text
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier, Outbox

log = structlog.get_logger(__name__)

ALERT_ABOVE = 10
ALERT_EVERY = timedelta(hours=1)


def alert_text(open_count: int) -> str:
    return (
        f"⚠️ Недоставленных сообщений: {open_count}. Они лежат в dead_letter_messages; "
        "проверьте, работают ли Telegram и WhatsApp, и отправьте их заново."
    )


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    message: OutboundMessage
    error: str
    attempts: int
    created_at: datetime


class DeadLetterAlarm:
    """Tells the admin when dead letters pile up: above ``threshold`` open, once per
    ``every`` across all processes (a Redis key with a TTL)."""

    def __init__(
        self,
        redis: Redis,
        *,
        keys: RedisKeys,
        admin: AdminNotifier,
        threshold: int = ALERT_ABOVE,
        every: timedelta = ALERT_EVERY,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._admin = admin
        self._threshold = threshold
        self._every = every

    async def check(self, open_count: int) -> bool:
        """Alert when due; True if this call alerted. Never raises: the dead letter is safe
        whatever happens to the alert (a failed alert is retried by the next dead letter)."""
        if open_count <= self._threshold:
            return False
        key = self._keys.dead_letter_alert()
        try:
            if not await self._redis.set(key, b"1", nx=True, ex=self._every):
                return False
            try:
                await self._admin.notify_admin(alert_text(open_count))
            except Exception:
                await self._redis.delete(key)
                raise
        except Exception as exc:
            log.error("dead_letter_alert_failed", error=f"{type(exc).__name__}: {exc}")
            return False
        log.warning("dead_letter_alert_sent", open_count=open_count)
        return True


class DeadLetters:
    """The table's few operations. Every method raises SQLAlchemy/driver errors: a dead letter
    that cannot be written must make the caller try again later, not vanish."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        alarm: DeadLetterAlarm | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._alarm = alarm

    async def add(self, message: OutboundMessage, *, error: str, attempts: int) -> int:
        """File ``message``; returns the row's id. Alerts the admin when too many are open
        (a failure of the alert is logged, never raised: the letter is filed by then)."""
        row = DeadLetterMessageRow(
            channel=message.channel.value,
            chat_id=message.chat_id,
            payload=message.model_dump(mode="json"),
            error=mask_phones_in_text(error),
            attempts=attempts,
            created_at=self._clock.now(),
        )
        async with self._sessionmaker() as session, session.begin():
            session.add(row)
        if self._alarm is not None:
            try:
                open_count = await self.open_count()
            except Exception as exc:  # the letter is filed; the next one will count again
                log.error("dead_letter_count_failed", error=f"{type(exc).__name__}: {exc}")
            else:
                await self._alarm.check(open_count)
        return row.id

    async def open_count(self) -> int:
        query = select(func.count()).select_from(DeadLetterMessageRow)
        async with self._sessionmaker() as session:
            count = await session.scalar(query.where(DeadLetterMessageRow.resolved_at.is_(None)))
        return int(count or 0)

    async def list_open(self, limit: int = 50) -> list[DeadLetter]:
        """The oldest open dead letters first."""
        query = (
            select(DeadLetterMessageRow)
            .where(DeadLetterMessageRow.resolved_at.is_(None))
            .order_by(DeadLetterMessageRow.id)
            .limit(limit)
        )
        async with self._sessionmaker() as session:
            rows = (await session.scalars(query)).all()
        return [_letter(row) for row in rows]

    async def resolve(self, dead_letter_id: int) -> bool:
        """Mark one as dealt with; False when it does not exist or was already resolved."""
        query = (
            update(DeadLetterMessageRow)
            .where(DeadLetterMessageRow.id == dead_letter_id)
            .where(DeadLetterMessageRow.resolved_at.is_(None))
            .values(resolved_at=self._clock.now())
        )
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(query)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def requeue(self, dead_letter_id: int, *, outbox: Outbox) -> OutboundMessage | None:
        """Send one again: queued under a new message id (the old one is spent), then marked
        resolved. None when it does not exist or was resolved already."""
        async with self._sessionmaker() as session:
            row = await session.get(DeadLetterMessageRow, dead_letter_id)
        if row is None or row.resolved_at is not None:
            return None
        again = _letter(row).message.model_copy(update={"id": uuid.uuid4().hex})
        await outbox.put(again)
        await self.resolve(dead_letter_id)
        return again


def _letter(row: DeadLetterMessageRow) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        message=OutboundMessage.model_validate(row.payload),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
    )
