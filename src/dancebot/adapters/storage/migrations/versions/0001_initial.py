"""The audit tables of contract §17.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Hand-written: runs on PostgreSQL and SQLite alike. Types are spelled here rather than imported
from the models, so that later model changes cannot rewrite history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite auto-increments only an "INTEGER PRIMARY KEY".
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _id() -> sa.Column[Any]:
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def _at(name: str = "created_at", *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _chat_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "messages",
        _id(),
        sa.Column("trace_id", sa.String(64), nullable=False),
        *_chat_columns(),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("message_type", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=True),
        _at(),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
    )
    op.create_table(
        "booking_attempts",
        _id(),
        sa.Column("trace_id", sa.String(64), nullable=False),
        *_chat_columns(),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("lesson_date", sa.Date(), nullable=False),
        sa.Column("client_phone_masked", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("crm_booking_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _at(),
        sa.PrimaryKeyConstraint("id", name="pk_booking_attempts"),
    )
    op.create_table(
        "tool_calls",
        _id(),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(64), nullable=False),
        sa.Column("arguments", _JSON, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _at(),
        sa.PrimaryKeyConstraint("id", name="pk_tool_calls"),
    )
    op.create_table(
        "llm_calls",
        _id(),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(12, 6), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        _at(),
        sa.PrimaryKeyConstraint("id", name="pk_llm_calls"),
    )
    op.create_table(
        "errors",
        _id(),
        sa.Column("trace_id", sa.String(64), nullable=True),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("error_type", sa.String(128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _at(),
        sa.PrimaryKeyConstraint("id", name="pk_errors"),
    )
    op.create_table(
        "dead_letter_messages",
        _id(),
        *_chat_columns(),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at(),
        _at("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letter_messages"),
    )
    for table in ("messages", "booking_attempts", "tool_calls", "llm_calls", "errors"):
        op.create_index(f"ix_{table}_trace_id", table, ["trace_id"])
    for table in ("messages", "booking_attempts", "dead_letter_messages"):
        op.create_index(
            f"ix_{table}_channel_chat_id_created_at", table, ["channel", "chat_id", "created_at"]
        )


def downgrade() -> None:
    for table in (
        "dead_letter_messages",
        "errors",
        "llm_calls",
        "tool_calls",
        "booking_attempts",
        "messages",
    ):
        op.drop_table(table)  # drops the table's indexes with it
