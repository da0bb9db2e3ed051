"""The audit database's tables (contract §17), typed for SQLAlchemy 2, portable between
PostgreSQL (production) and SQLite (embedded default).

The schema itself is created by the Alembic migrations in ``storage/migrations``; these models
must match them (tests/integration/storage/test_migrations.py compares the two).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an "INTEGER PRIMARY KEY"; PostgreSQL gets BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend: stored in UTC, read back aware.

    SQLite keeps no offset, so a value read from it is naive; it is UTC because only UTC is
    written. Binding a naive datetime raises ``ValueError``: its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: audit timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class MessageRow(Base):
    """Every message in and out."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_trace_id", "trace_id"),
        Index("ix_messages_channel_chat_id_created_at", "channel", "chat_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    message_id: Mapped[str | None] = mapped_column(String(128))
    message_type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BookingAttemptRow(Base):
    """Every attempt to book, whatever its outcome."""

    __tablename__ = "booking_attempts"
    __table_args__ = (
        Index("ix_booking_attempts_trace_id", "trace_id"),
        Index("ix_booking_attempts_channel_chat_id_created_at", "channel", "chat_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    schedule_id: Mapped[int] = mapped_column(BigInteger)
    lesson_date: Mapped[date] = mapped_column(Date)
    client_phone_masked: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    crm_booking_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ToolCallRow(Base):
    """Every call the engine made to a tool (CRM, KB search...); arguments with phones masked."""

    __tablename__ = "tool_calls"
    __table_args__ = (Index("ix_tool_calls_trace_id", "trace_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[Any] = mapped_column(Json)
    outcome: Mapped[str] = mapped_column(String(32))
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LlmCallRow(Base):
    """Every LLM request, with its usage and cost (for the budget guard's reports)."""

    __tablename__ = "llm_calls"
    __table_args__ = (Index("ix_llm_calls_trace_id", "trace_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    latency_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ErrorRow(Base):
    """Errors worth a look later, by component."""

    __tablename__ = "errors"
    __table_args__ = (Index("ix_errors_trace_id", "trace_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str | None] = mapped_column(String(64))
    component: Mapped[str] = mapped_column(String(64))
    error_type: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadLetterMessageRow(Base):
    """An outbound message that failed all its retries (contract §9); resolved by an admin."""

    __tablename__ = "dead_letter_messages"
    __table_args__ = (
        Index(
            "ix_dead_letter_messages_channel_chat_id_created_at", "channel", "chat_id", "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[Any] = mapped_column(Json)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
