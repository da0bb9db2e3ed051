"""The weekly KPI summary to the admin chat (off by default: ``WEEKLY_REPORT_ENABLED``).

Due work of the worker: at the configured weekday and hour (studio time) the figures of the
seven days before are sent once — a Redis claim per week keeps two workers, or a restart, from
sending it twice. A worker that was down at that moment still sends it within
``LATE_GRACE``; later than that the week is skipped rather than reported days late.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import redis.asyncio as aioredis
import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier
from dancebot.reporting.kpi import Period, compute
from dancebot.reporting.render import summary_text
from dancebot.reporting.source import load_rows

log = structlog.get_logger(__name__)

WEEK = timedelta(days=7)
LATE_GRACE = timedelta(hours=12)
_CLAIM_SECONDS = 8 * 24 * 3600


class WeeklySummary:
    """``DueWork`` (next_due_at / run_due) sending the KPI summary once a week."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        admin: AdminNotifier,
        redis: aioredis.Redis,
        keys: RedisKeys,
        clock: Clock,
        tz: tzinfo,
        weekday: int = 1,
        hour: int = 10,
        enabled: bool = True,
    ) -> None:
        if not 1 <= weekday <= 7 or not 0 <= hour <= 23:
            raise ValueError("weekday is 1 (Monday) … 7, hour 0 … 23")
        self._sessionmaker = sessionmaker
        self._admin = admin
        self._redis = redis
        self._keys = keys
        self._clock = clock
        self._tz = tz
        self._weekday = weekday
        self._hour = hour
        self._enabled = enabled

    def last_slot(self, now: datetime) -> datetime:
        """The latest sending moment at or before ``now``."""
        local = now.astimezone(self._tz)
        days_back = (local.isoweekday() - self._weekday) % 7
        slot = (local - timedelta(days=days_back)).replace(
            hour=self._hour, minute=0, second=0, microsecond=0
        )
        return slot - WEEK if slot > local else slot

    async def next_due_at(self) -> datetime | None:
        if not self._enabled:
            return None
        now = self._clock.now()
        slot = self.last_slot(now)
        if now - slot <= LATE_GRACE and not await self._redis.exists(self._claim(slot)):
            return slot
        return slot + WEEK

    async def run_due(self, now: datetime) -> int:
        """Send this week's summary if it is due and not sent yet; 1 if sent, else 0. A
        database that cannot be read leaves the week unclaimed: the next tick tries again."""
        if not self._enabled:
            return 0
        slot = self.last_slot(now)
        if now - slot > LATE_GRACE:
            return 0
        claim = self._claim(slot)
        if not await self._redis.set(claim, now.isoformat(), nx=True, ex=_CLAIM_SECONDS):
            return 0
        period = Period(since=slot - WEEK, until=slot)
        try:
            report = compute(await load_rows(self._sessionmaker, period), period, tz=self._tz)
        except (SQLAlchemyError, OSError) as exc:
            await self._redis.delete(claim)
            log.warning("weekly_report_failed", error_type=type(exc).__name__)
            return 0
        await self._admin.notify_admin(summary_text(report))
        log.info("weekly_report_sent", week=slot.date().isoformat(), bookings=report.bookings)
        return 1

    def _claim(self, slot: datetime) -> str:
        return self._keys.weekly_report_sent(slot.date().isoformat())
