"""The SQL audit log on the real PostgreSQL and on SQLite: what is written can be read back,
phones are masked, and a failing database never breaks the caller."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.db.models import ErrorRow, LlmCallRow, ToolCallRow
from dancebot.domain.messages import Channel
from dancebot.ports.audit import (
    BookingAttemptRecord,
    ErrorRecord,
    LlmCallRecord,
    MessageRecord,
    ToolCallRecord,
)

MSK = timezone(timedelta(hours=3))
AT = datetime(2025, 3, 10, 18, 30, tzinfo=MSK)
PHONE = "+79991234567"
MASKED = "+7999****567"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url)
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def audit(engine: AsyncEngine) -> SqlAuditLog:
    return SqlAuditLog(make_sessionmaker(engine))


def _message(chat_id: str, text: str, *, direction: str = "in") -> MessageRecord:
    return MessageRecord(
        trace_id="trace-1",
        channel=Channel.TELEGRAM,
        chat_id=chat_id,
        direction=direction,
        text=text,
        at=AT,
        message_id="m-1",
        state="collecting_contact",
    )


async def test_messages_are_written_and_read_back_with_phones_masked(audit: SqlAuditLog) -> None:
    await audit.record_message(_message("1001", f"Мой номер {PHONE}, Анна"))
    await audit.record_message(_message("1001", "Спасибо, записала!", direction="out"))
    await audit.record_message(_message("2002", "Привет"))

    assert await audit.count_messages() == 3
    assert await audit.count_messages(chat_id="1001") == 2
    stored = await audit.messages(chat_id="1001")
    assert [m.text for m in stored] == [f"Мой номер {MASKED}, Анна", "Спасибо, записала!"]
    assert [m.direction for m in stored] == ["in", "out"]
    assert stored[0].at == AT
    assert stored[0].at.tzinfo is not None
    assert stored[0].state == "collecting_contact"
    assert audit.failed_writes == 0


async def test_booking_attempts_are_written_and_read_back(audit: SqlAuditLog) -> None:
    created = BookingAttemptRecord(
        trace_id="trace-2",
        channel=Channel.WHATSAPP,
        chat_id="79991234567",
        fingerprint="f" * 64,
        schedule_id=42,
        lesson_date=date(2025, 3, 14),
        client_phone_masked=MASKED,
        outcome="created",
        at=AT,
        crm_booking_id=9001,
    )
    failed = BookingAttemptRecord(
        trace_id="trace-3",
        channel=Channel.TELEGRAM,
        chat_id="1001",
        fingerprint="e" * 64,
        schedule_id=43,
        lesson_date=date(2025, 3, 15),
        client_phone_masked=PHONE,  # a caller forgot to mask: storage masks anyway
        outcome="crm_down",
        at=AT + timedelta(minutes=1),
        error=f"timeout calling CRM for {PHONE}",
    )
    await audit.record_booking_attempt(created)
    await audit.record_booking_attempt(failed)

    assert await audit.booking_attempts(chat_id="79991234567") == [created]
    everything = await audit.booking_attempts()
    assert [a.outcome for a in everything] == ["created", "crm_down"]
    assert everything[1].client_phone_masked == MASKED
    assert everything[1].error == f"timeout calling CRM for {MASKED}"


async def test_tool_llm_and_error_records_are_written(
    audit: SqlAuditLog, engine: AsyncEngine
) -> None:
    await audit.record_tool_call(
        ToolCallRecord(
            trace_id="trace-4",
            tool="crm.create_reservation",
            outcome="ok",
            latency_ms=120,
            at=AT,
            arguments={"client_phone": PHONE, "schedule_id": 42, "date": date(2025, 3, 14)},
        )
    )
    cost = Decimal("0.001234")
    await audit.record_llm_call(
        LlmCallRecord("trace-4", "anthropic", "claude-x", 900, 120, cost, 850, "ok", AT)
    )
    await audit.record_error(ErrorRecord("crm", "CrmUnavailable", f"down for {PHONE}", AT))

    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        tool_call = (await session.scalars(select(ToolCallRow))).one()
        llm_call = (await session.scalars(select(LlmCallRow))).one()
        error = (await session.scalars(select(ErrorRow))).one()
    assert tool_call.arguments == {
        "client_phone": MASKED,
        "schedule_id": 42,
        "date": "2025-03-14",
    }
    assert (llm_call.cost_usd, llm_call.prompt_tokens) == (cost, 900)
    assert (error.message, error.trace_id) == (f"down for {MASKED}", None)
    assert error.created_at == AT


async def test_naive_timestamp_is_refused_and_counted(audit: SqlAuditLog) -> None:
    record = MessageRecord(
        "trace-5", Channel.TELEGRAM, "1001", "in", "Привет", datetime(2025, 3, 10)
    )

    await audit.record_message(record)

    assert audit.failed_writes == 1
    assert await audit.count_messages() == 0


async def test_unreachable_database_does_not_break_the_conversation() -> None:
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    audit = SqlAuditLog(make_sessionmaker(engine))

    with capture_logs() as logs:
        await audit.record_message(_message("1001", f"Мой номер {PHONE}"))
        await audit.flush()

    await engine.dispose()
    assert audit.failed_writes == 1
    assert [entry["event"] for entry in logs] == ["audit_write_failed"]
    assert logs[0]["table"] == "messages"
    assert PHONE not in str(logs)


async def test_database_without_tables_does_not_break_the_conversation(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    audit = SqlAuditLog(make_sessionmaker(engine))

    await audit.record_message(_message("1001", "Привет"))
    await audit.record_error(ErrorRecord("crm", "CrmUnavailable", "down", AT))

    await audit.flush()
    await engine.dispose()
    assert audit.failed_writes == 2


@pytest.mark.postgres
async def test_slow_database_does_not_hold_the_caller_and_the_row_arrives_later(
    postgres_database_url: str,
) -> None:
    await upgrade_database(postgres_database_url)
    engine = make_engine(postgres_database_url)
    audit = SqlAuditLog(make_sessionmaker(engine), write_timeout_seconds=0.3)
    async with engine.connect() as blocker:
        await blocker.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with capture_logs() as logs:
            await audit.record_message(_message("1001", "Привет"))
        elapsed = time.monotonic() - started
        await blocker.rollback()  # the database "recovers"

    assert await audit.flush(timeout_seconds=10) == 0
    assert await audit.count_messages() == 1
    await engine.dispose()
    assert elapsed < 2
    assert [entry["event"] for entry in logs] == ["audit_write_slow"]
    assert audit.failed_writes == 0


@pytest.mark.postgres
async def test_every_connection_bounds_a_statement_at_30_seconds(
    postgres_database_url: str,
) -> None:
    """A stuck write gives its pooled connection back (was a ``SET LOCAL`` per audit batch:
    one more round trip each)."""
    engine = make_engine(postgres_database_url)
    try:
        async with engine.connect() as connection:
            timeout = await connection.scalar(text("SHOW statement_timeout"))
    finally:
        await engine.dispose()

    assert timeout == "30s"


async def test_a_sqlite_file_is_written_ahead_and_synced_normally(tmp_path: Path) -> None:
    """WAL with ``synchronous=NORMAL`` (D83): a commit no longer waits for the disk twice."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    try:
        async with engine.connect() as connection:
            mode = await connection.scalar(text("PRAGMA journal_mode"))
            synchronous = await connection.scalar(text("PRAGMA synchronous"))
    finally:
        await engine.dispose()

    assert (mode, synchronous) == ("wal", 1)  # 1 is NORMAL


async def test_a_sqlite_file_held_by_another_connection_still_opens(tmp_path: Path) -> None:
    """The switch to WAL needs the file to itself: while another connection reads, the
    connection opens in the file's old mode (fully synced) and a later one switches it."""
    path = tmp_path / "audit.db"
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (a)")
    holder.commit()
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM t").fetchall()  # a read lock, kept
    engine = make_engine(f"sqlite+aiosqlite:///{path}?timeout=0")
    try:
        with capture_logs() as logs:
            async with engine.connect() as connection:
                held = await connection.scalar(text("PRAGMA journal_mode"))
                held_sync = await connection.scalar(text("PRAGMA synchronous"))
        holder.rollback()
        await engine.dispose()  # a new connection: the file is free now
        async with engine.connect() as connection:
            freed = await connection.scalar(text("PRAGMA journal_mode"))
    finally:
        holder.close()
        await engine.dispose()

    assert (held, held_sync) == ("delete", 2)  # 2 is FULL
    assert [entry["event"] for entry in logs] == ["sqlite_write_ahead_deferred"]
    assert freed == "wal"
