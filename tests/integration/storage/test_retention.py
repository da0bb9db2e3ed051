"""Retention (RFC §23.4) on the real PostgreSQL (and SQLite): texts of old messages are
emptied and their chat ids pseudonymised; rows past the audit period are deleted; recent
rows are untouched; a second pass within the hour does nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.db.models import (
    BookingAttemptRow,
    DeadLetterMessageRow,
    MessageRow,
    ToolCallRow,
)
from dancebot.adapters.storage.db.retention import Retention, pseudonym
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.ports.audit import BookingAttemptRecord, MessageRecord, ToolCallRecord

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WA_CHAT = "79991234567"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url)
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


def _message(chat_id: str, text: str, at: datetime) -> MessageRecord:
    return MessageRecord(
        trace_id="t", channel=Channel.WHATSAPP, chat_id=chat_id, direction="in", text=text, at=at
    )


def _attempt(chat_id: str, at: datetime) -> BookingAttemptRecord:
    return BookingAttemptRecord(
        trace_id="t",
        channel=Channel.WHATSAPP,
        chat_id=chat_id,
        fingerprint="f" * 64,
        schedule_id=100,
        lesson_date=date(2026, 3, 4),
        client_phone_masked="+7999****567",
        outcome="created",
        at=at,
    )


async def test_old_texts_are_anonymised_and_older_rows_deleted(
    engine: AsyncEngine, real_redis: aioredis.Redis, key_prefix: str
) -> None:
    audit = SqlAuditLog(make_sessionmaker(engine))
    ancient, old, recent = NOW - timedelta(days=120), NOW - timedelta(days=45), NOW
    for at, text in ((ancient, "совсем давно"), (old, "Мария, запишите"), (recent, "сегодня")):
        await audit.record_message(_message(WA_CHAT, text, at))
        await audit.record_booking_attempt(_attempt(WA_CHAT, at))
    await audit.record_tool_call(
        ToolCallRecord(
            trace_id="t",
            tool="crm.find",
            outcome="ok",
            latency_ms=5,
            at=old,
            arguments={"name": "Мария"},
        )
    )
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        session.add(
            DeadLetterMessageRow(
                channel="telegram",
                chat_id="1",
                payload={},
                error="x",
                attempts=3,
                created_at=ancient,
                resolved_at=ancient,
            )
        )
    retention = Retention(
        sessionmaker,
        redis=real_redis,
        keys=RedisKeys(prefix=key_prefix),
        text_days=30,
        audit_days=90,
    )

    assert await retention.run_due(NOW) > 0
    async with sessionmaker() as session:
        messages = (await session.scalars(select(MessageRow).order_by(MessageRow.created_at))).all()
        attempts = (await session.scalars(select(BookingAttemptRow))).all()
        tools = (await session.scalars(select(ToolCallRow))).all()
        letters = (await session.scalars(select(DeadLetterMessageRow))).all()
    assert [(m.text, m.chat_id) for m in messages] == [
        ("", pseudonym(WA_CHAT)),  # 45 days: text gone, phone-like chat id pseudonymised
        ("сегодня", WA_CHAT),  # recent: untouched
    ]
    assert WA_CHAT not in pseudonym(WA_CHAT)
    assert sorted(a.chat_id for a in attempts) == sorted([pseudonym(WA_CHAT), WA_CHAT])
    assert [t.arguments for t in tools] == [{}]
    assert letters == []  # resolved long ago
    assert await retention.run_due(NOW) == 0  # one pass per hour
    assert await retention.apply(NOW) == 0  # and a pass finds nothing left to do


async def test_zero_days_turns_retention_off(
    engine: AsyncEngine, real_redis: aioredis.Redis, key_prefix: str
) -> None:
    audit = SqlAuditLog(make_sessionmaker(engine))
    await audit.record_message(_message(WA_CHAT, "давно", NOW - timedelta(days=400)))
    retention = Retention(
        make_sessionmaker(engine),
        redis=real_redis,
        keys=RedisKeys(prefix=key_prefix),
        text_days=0,
        audit_days=0,
    )
    assert await retention.run_due(NOW) == 0
    assert await audit.count_messages() == 1
