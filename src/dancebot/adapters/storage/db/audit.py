"""The audit log in SQL (contract §17): messages, booking attempts, tool and LLM calls, errors.

Writing down what happened must never break what is happening: writes have a time limit, and
a failed write is logged, counted and swallowed. Rows are group-committed (D63): a caller's
row goes into the next transaction of one writer task, together with every row other turns
queued meanwhile, and the caller resumes once that transaction committed — so a row is in
the database before the turn goes on (a crash loses none that was promised), while 8 chats
in flight cost one transaction, not 8.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dancebot.adapters.metrics import BOOKINGS
from dancebot.adapters.storage.db.models import (
    Base,
    BookingAttemptRow,
    ErrorRow,
    LlmCallRow,
    MessageRow,
    ToolCallRow,
)
from dancebot.domain.messages import Channel
from dancebot.domain.privacy import (
    mask_phone,
    mask_phones_in_text,
    mask_phones_in_value,
)
from dancebot.ports.audit import (
    BookingAttemptRecord,
    ErrorRecord,
    LlmCallRecord,
    MessageRecord,
    ToolCallRecord,
)

log = structlog.get_logger(__name__)

DEFAULT_WRITE_TIMEOUT_SECONDS = 2.0
MAX_BATCH_ROWS = 200
_LOGGED_ERROR_CHARS = 300


class SqlAuditLog:
    """The ``AuditLog`` port over SQLAlchemy (PostgreSQL or SQLite).

    The ``record_*`` methods never raise and return within ``write_timeout_seconds``: a
    database that is down or missing its tables costs the audit row, which is logged as
    ``audit_write_failed`` and counted in ``failed_writes``; a slow one gets the row later
    (``audit_write_slow`` is logged, the write goes on in the background, see ``flush``).
    Phones in message texts, tool arguments and error messages are masked before they are
    written. The query helpers
    (``count_messages``, ``messages``, ``booking_attempts``) do raise SQLAlchemy errors.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        write_timeout_seconds: float = DEFAULT_WRITE_TIMEOUT_SECONDS,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._write_timeout_seconds = write_timeout_seconds
        self._failed_writes = 0
        self._pending: set[asyncio.Task[None]] = set()
        self._queued: list[_Queued] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def failed_writes(self) -> int:
        """Audit rows lost since start (for /health and metrics)."""
        return self._failed_writes

    async def record_message(self, record: MessageRecord) -> None:
        row = _values(
            MessageRow,
            trace_id=record.trace_id,
            channel=str(record.channel),
            chat_id=record.chat_id,
            direction=record.direction,
            message_id=record.message_id,
            message_type=record.message_type,
            text=mask_phones_in_text(record.text),
            state=record.state,
            created_at=record.at,
        )
        await self._write(row, trace_id=record.trace_id)

    async def record_booking_attempt(self, record: BookingAttemptRecord) -> None:
        BOOKINGS.labels(record.outcome).inc()
        row = _values(
            BookingAttemptRow,
            trace_id=record.trace_id,
            channel=str(record.channel),
            chat_id=record.chat_id,
            fingerprint=record.fingerprint,
            schedule_id=record.schedule_id,
            lesson_date=record.lesson_date,
            client_phone_masked=mask_phone(record.client_phone_masked),
            outcome=record.outcome,
            crm_booking_id=record.crm_booking_id,
            error=_masked_or_none(record.error),
            created_at=record.at,
        )
        await self._write(row, trace_id=record.trace_id)

    async def record_tool_call(self, record: ToolCallRecord) -> None:
        arguments = mask_phones_in_value(dict(record.arguments))
        row = _values(
            ToolCallRow,
            trace_id=record.trace_id,
            tool=record.tool,
            # Round trip through JSON so a date or Decimal becomes text instead of failing.
            arguments=json.loads(json.dumps(arguments, default=str, ensure_ascii=False)),
            outcome=record.outcome,
            latency_ms=record.latency_ms,
            error=_masked_or_none(record.error),
            created_at=record.at,
        )
        await self._write(row, trace_id=record.trace_id)

    async def record_llm_call(self, record: LlmCallRecord) -> None:
        row = _values(
            LlmCallRow,
            trace_id=record.trace_id,
            provider=record.provider,
            model=record.model,
            prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens,
            cost_usd=record.cost_usd,
            latency_ms=record.latency_ms,
            outcome=record.outcome,
            created_at=record.at,
        )
        await self._write(row, trace_id=record.trace_id)

    async def record_error(self, record: ErrorRecord) -> None:
        row = _values(
            ErrorRow,
            trace_id=record.trace_id,
            component=record.component,
            error_type=record.error_type,
            message=mask_phones_in_text(record.message),
            created_at=record.at,
        )
        await self._write(row, trace_id=record.trace_id)

    async def count_messages(self, chat_id: str | None = None) -> int:
        """Messages recorded, in one chat or in all."""
        query = select(func.count()).select_from(MessageRow)
        if chat_id is not None:
            query = query.where(MessageRow.chat_id == chat_id)
        async with self._sessionmaker() as session:
            return int((await session.execute(query)).scalar_one())

    async def messages(
        self, *, chat_id: str | None = None, trace_id: str | None = None
    ) -> list[MessageRecord]:
        """Recorded messages (texts as stored, i.e. masked), oldest first, filtered by chat
        and/or trace."""
        query = select(MessageRow).order_by(MessageRow.id)
        if chat_id is not None:
            query = query.where(MessageRow.chat_id == chat_id)
        if trace_id is not None:
            query = query.where(MessageRow.trace_id == trace_id)
        async with self._sessionmaker() as session:
            rows = (await session.scalars(query)).all()
        return [_message_record(row) for row in rows]

    async def llm_calls(self, *, trace_id: str | None = None) -> list[LlmCallRecord]:
        """Recorded LLM calls, oldest first, of one trace (one turn) or all."""
        query = select(LlmCallRow).order_by(LlmCallRow.id)
        if trace_id is not None:
            query = query.where(LlmCallRow.trace_id == trace_id)
        async with self._sessionmaker() as session:
            rows = (await session.scalars(query)).all()
        return [_llm_call_record(row) for row in rows]

    async def booking_attempts(self, chat_id: str | None = None) -> list[BookingAttemptRecord]:
        """Recorded booking attempts, oldest first, in one chat or in all."""
        query = select(BookingAttemptRow).order_by(BookingAttemptRow.id)
        if chat_id is not None:
            query = query.where(BookingAttemptRow.chat_id == chat_id)
        async with self._sessionmaker() as session:
            rows = (await session.scalars(query)).all()
        return [_booking_attempt_record(row) for row in rows]

    async def flush(self, *, timeout_seconds: float = 10.0) -> int:
        """Wait for writes still running in the background (at shutdown, in tests); returns
        how many are still running after ``timeout_seconds``."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout_seconds)
        return len(self._pending)

    async def _write(self, row: _Row, *, trace_id: str | None) -> None:
        # The row is written by the writer task: when the database is slow the caller stops
        # waiting after the time limit and the row is still written once the database
        # answers. (Cancelling instead would not help: SQLAlchemy shields the rollback, which
        # then waits for the very statement that is stuck.)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append(_Queued(row, trace_id, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
            self._pending.add(self._writer)
            self._writer.add_done_callback(self._pending.discard)
        done, _ = await asyncio.wait({written}, timeout=self._write_timeout_seconds)
        if not done:
            log.warning(
                "audit_write_slow",
                table=row.table.name,
                trace_id=trace_id,
                waited_seconds=self._write_timeout_seconds,
            )

    async def _write_queued(self) -> None:
        """Commit what is queued, batch after batch, until nothing is."""
        while self._queued:
            batch = self._queued[:MAX_BATCH_ROWS]
            del self._queued[:MAX_BATCH_ROWS]
            try:
                await self._insert(batch)
            finally:
                for item in batch:
                    if not item.written.done():
                        item.written.set_result(None)

    async def _insert(self, batch: list[_Queued]) -> None:
        try:
            # a Core transaction, no ORM session: the rows are plain inserts. A stuck write
            # is bounded by the engine's statement timeout (``make_engine``).
            async with self._engine.begin() as connection:
                tables: dict[Table, list[dict[str, Any]]] = {}
                for item in batch:
                    tables.setdefault(item.row.table, []).append(item.row.values)
                for table, rows in tables.items():  # one executemany per table
                    await connection.execute(insert(table), rows)
        except Exception as exc:  # the conversation must go on whatever the database does
            if len(batch) > 1:  # one bad row must not cost the others theirs
                for item in batch:
                    await self._insert([item])
                return
            self._failed_writes += 1
            log.warning(
                "audit_write_failed",
                table=batch[0].row.table.name,
                trace_id=batch[0].trace_id,
                error_type=type(exc).__name__,
                error=mask_phones_in_text(str(exc))[:_LOGGED_ERROR_CHARS],
                failed_writes=self._failed_writes,
            )


@dataclass(frozen=True, slots=True)
class _Row:
    """A row to insert: its table and its column values."""

    table: Table
    values: dict[str, Any]


def _values(mapped: type[Base], /, **values: Any) -> _Row:
    table = mapped.__table__
    assert isinstance(table, Table)
    return _Row(table, values)


@dataclass(frozen=True, slots=True)
class _Queued:
    row: _Row
    trace_id: str | None
    written: asyncio.Future[None]


def _masked_or_none(text: str | None) -> str | None:
    return None if text is None else mask_phones_in_text(text)


def _message_record(row: MessageRow) -> MessageRecord:
    return MessageRecord(
        trace_id=row.trace_id,
        channel=Channel(row.channel),
        chat_id=row.chat_id,
        direction=row.direction,
        text=row.text,
        at=row.created_at,
        message_id=row.message_id,
        message_type=row.message_type,
        state=row.state,
    )


def _booking_attempt_record(row: BookingAttemptRow) -> BookingAttemptRecord:
    return BookingAttemptRecord(
        trace_id=row.trace_id,
        channel=Channel(row.channel),
        chat_id=row.chat_id,
        fingerprint=row.fingerprint,
        schedule_id=row.schedule_id,
        lesson_date=row.lesson_date,
        client_phone_masked=row.client_phone_masked,
        outcome=row.outcome,
        at=row.created_at,
        crm_booking_id=row.crm_booking_id,
        error=row.error,
    )


def _llm_call_record(row: LlmCallRow) -> LlmCallRecord:
    return LlmCallRecord(
        trace_id=row.trace_id,
        provider=row.provider,
        model=row.model,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost_usd=row.cost_usd,
        latency_ms=row.latency_ms,
        outcome=row.outcome,
        at=row.created_at,
    )
