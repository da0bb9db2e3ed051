"""The weekly KPI summary (worker due work) on the real Redis and a SQLite audit database:
sent once at the configured hour, not twice by a second worker, not when disabled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier
from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.ports.audit import BookingAttemptRecord, MessageRecord
from dancebot.reporting.weekly import WeeklySummary

pytestmark = pytest.mark.redis
TZ = ZoneInfo("Asia/Vladivostok")
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=TZ)  # Monday


@pytest.fixture
async def sessionmaker(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_database(url)
    engine = make_engine(url)
    audit = SqlAuditLog(make_sessionmaker(engine))
    at = MONDAY_10 - timedelta(days=3)  # inside last week
    for direction, text in (("in", "Хочу на контемп"), ("out", "Записала!")):
        await audit.record_message(
            MessageRecord("t1", Channel.TELEGRAM, "42", direction, text, at, state="booking_done")
        )
    await audit.record_booking_attempt(
        BookingAttemptRecord(
            "t1", Channel.TELEGRAM, "42", "f1", 100, at.date(), "+7999***", "created", at
        )
    )
    await audit.flush()
    yield make_sessionmaker(engine)
    await engine.dispose()


def _summary(sm, redis, prefix: str, clock: VirtualClock, **kw: object):
    admin = ConsoleAdminNotifier()
    job = WeeklySummary(
        sm, admin=admin, redis=redis, keys=RedisKeys(prefix=prefix), clock=clock, tz=TZ,
        weekday=1, hour=10, **kw,
    )  # fmt: skip
    return job, admin


async def test_sent_once_at_the_hour_with_last_weeks_figures(
    sessionmaker,
    real_redis: aioredis.Redis,
    key_prefix: str,
) -> None:
    clock = VirtualClock(MONDAY_10 - timedelta(hours=1))
    job, admin = _summary(sessionmaker, real_redis, key_prefix, clock)
    assert await job.next_due_at() == MONDAY_10
    assert await job.run_due(clock.now()) == 0  # a week ago's slot is long past its grace

    clock.advance(timedelta(hours=1, seconds=5))
    assert await job.run_due(clock.now()) == 1
    [text] = admin.drain()
    assert "Диалогов: 1, записей: 1." in text
    assert "Успешные записи (E2E): 100%" in text and "Конверсия: диалог → запись: 100%" in text

    assert await job.run_due(clock.now()) == 0  # the same worker, next tick
    other, other_admin = _summary(sessionmaker, real_redis, key_prefix, clock)
    assert await other.run_due(clock.now()) == 0  # another worker
    assert other_admin.drain() == []
    assert await job.next_due_at() == MONDAY_10 + timedelta(days=7)


async def test_disabled_by_default_setting_sends_nothing(
    sessionmaker,
    real_redis: aioredis.Redis,
    key_prefix: str,
) -> None:
    clock = VirtualClock(MONDAY_10)
    job, admin = _summary(sessionmaker, real_redis, key_prefix, clock, enabled=False)
    assert await job.next_due_at() is None
    assert await job.run_due(clock.now()) == 0
    assert admin.drain() == []


async def test_a_database_that_cannot_be_read_leaves_the_week_to_the_next_tick(
    sessionmaker,
    real_redis: aioredis.Redis,
    key_prefix: str,
    tmp_path: Path,
) -> None:
    clock = VirtualClock(MONDAY_10 + timedelta(minutes=1))
    empty = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-tables.db'}")
    broken, admin = _summary(make_sessionmaker(empty), real_redis, key_prefix, clock)
    assert await broken.run_due(clock.now()) == 0
    await empty.dispose()
    job, admin = _summary(sessionmaker, real_redis, key_prefix, clock)
    assert await job.run_due(clock.now()) == 1
    assert len(admin.drain()) == 1


def test_last_slot_is_in_the_studio_time_zone() -> None:
    job, _ = _summary(None, None, "unused", VirtualClock(MONDAY_10))  # no I/O here
    monday_utc = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # Monday 10:30 in Vladivostok
    assert job.last_slot(monday_utc) == MONDAY_10
    assert job.last_slot(MONDAY_10 - timedelta(seconds=1)) == MONDAY_10 - timedelta(days=7)
