"""Reading one period's audit rows for the KPI report (PostgreSQL or SQLite, the same
SQLAlchemy models the app writes with). Raises SQLAlchemy's errors: a report without its
database has nothing to say."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.storage.db.models import (
    BookingAttemptRow,
    DeadLetterMessageRow,
    ErrorRow,
    LlmCallRow,
    MessageRow,
)
from dancebot.reporting.kpi import BUDGET_GUARD_COMPONENT, Attempt, AuditRows, Message, Period


async def load_rows(sessionmaker: async_sessionmaker[AsyncSession], period: Period) -> AuditRows:
    """Messages, booking attempts, LLM cost and budget-guard errors with ``since <= at <
    until``; dead letters open at ``until``."""
    async with sessionmaker() as session:
        messages = (
            await session.scalars(
                select(MessageRow)
                .where(_within(MessageRow.created_at, period))
                .order_by(MessageRow.created_at, MessageRow.id)
            )
        ).all()
        attempts = (
            await session.scalars(
                select(BookingAttemptRow)
                .where(_within(BookingAttemptRow.created_at, period))
                .order_by(BookingAttemptRow.created_at, BookingAttemptRow.id)
            )
        ).all()
        cost, calls = (
            await session.execute(
                select(func.coalesce(func.sum(LlmCallRow.cost_usd), 0), func.count()).where(
                    _within(LlmCallRow.created_at, period)
                )
            )
        ).one()
        triggers = await session.scalar(
            select(func.count())
            .select_from(ErrorRow)
            .where(
                ErrorRow.component == BUDGET_GUARD_COMPONENT, _within(ErrorRow.created_at, period)
            )
        )
        dead_letters = await session.scalar(
            select(func.count())
            .select_from(DeadLetterMessageRow)
            .where(
                DeadLetterMessageRow.created_at < period.until,
                or_(
                    DeadLetterMessageRow.resolved_at.is_(None),
                    DeadLetterMessageRow.resolved_at >= period.until,
                ),
            )
        )
    return AuditRows(
        messages=[
            Message(
                trace_id=m.trace_id,
                channel=m.channel,
                chat_id=m.chat_id,
                direction=m.direction,
                message_type=m.message_type,
                text=m.text,
                state=m.state,
                at=m.created_at,
            )
            for m in messages
        ],
        attempts=[
            Attempt(
                trace_id=a.trace_id,
                channel=a.channel,
                chat_id=a.chat_id,
                fingerprint=a.fingerprint,
                outcome=a.outcome,
                at=a.created_at,
            )
            for a in attempts
        ],
        llm_cost_usd=Decimal(str(cost)),
        llm_calls=int(calls),
        budget_guard_triggers=int(triggers or 0),
        dead_letters_open=int(dead_letters or 0),
    )


def _within(column, period: Period):  # type: ignore[no-untyped-def]
    return (column >= period.since) & (column < period.until)
