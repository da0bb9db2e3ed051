"""The Alembic migrations on a fresh real PostgreSQL database and on a SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import downgrade_database, upgrade_database
from dancebot.adapters.storage.db.models import Base
from dancebot.domain.messages import Channel
from dancebot.ports.audit import MessageRecord

EXPECTED_COLUMNS = {
    "messages": {
        "id", "trace_id", "channel", "chat_id", "direction", "message_id", "message_type",
        "text", "state", "created_at",
    },
    "booking_attempts": {
        "id", "trace_id", "channel", "chat_id", "fingerprint", "schedule_id", "lesson_date",
        "client_phone_masked", "outcome", "crm_booking_id", "error", "created_at",
    },
    "tool_calls": {
        "id", "trace_id", "tool", "arguments", "outcome", "latency_ms", "error", "created_at",
    },
    "llm_calls": {
        "id", "trace_id", "provider", "model", "prompt_tokens", "completion_tokens", "cost_usd",
        "latency_ms", "outcome", "created_at",
    },
    "errors": {"id", "trace_id", "component", "error_type", "message", "created_at"},
    "dead_letter_messages": {
        "id", "channel", "chat_id", "payload", "error", "attempts", "created_at", "resolved_at",
    },
}  # fmt: skip
EXPECTED_INDEXES = {
    "messages": {("trace_id",), ("channel", "chat_id", "created_at")},
    "booking_attempts": {("trace_id",), ("channel", "chat_id", "created_at")},
    "tool_calls": {("trace_id",)},
    "llm_calls": {("trace_id",)},
    "errors": {("trace_id",)},
    "dead_letter_messages": {("channel", "chat_id", "created_at")},
}


def _describe(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    return {
        "tables": tables,
        "columns": {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in tables - {"alembic_version"}
        },
        "indexes": {
            table: {tuple(index["column_names"]) for index in inspector.get_indexes(table)}
            for table in tables - {"alembic_version"}
        },
        "model_drift": compare_metadata(MigrationContext.configure(connection), Base.metadata),
    }


async def _schema(url: str) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            description: dict[str, Any] = await connection.run_sync(_describe)
            if "alembic_version" in description["tables"]:
                versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
                description["versions"] = [row[0] for row in versions]
            return description
    finally:
        await engine.dispose()


async def test_upgrade_head_creates_the_six_audit_tables(database_url: str) -> None:
    await upgrade_database(database_url)

    schema = await _schema(database_url)

    assert schema["tables"] == {*EXPECTED_COLUMNS, "alembic_version"}
    assert schema["columns"] == EXPECTED_COLUMNS
    assert schema["indexes"] == EXPECTED_INDEXES
    assert schema["versions"] == ["0001"]


async def test_migration_matches_the_models(database_url: str) -> None:
    await upgrade_database(database_url)

    schema = await _schema(database_url)

    assert schema["model_drift"] == []


async def test_second_upgrade_changes_nothing_and_keeps_rows(database_url: str) -> None:
    await upgrade_database(database_url)
    engine = make_engine(database_url)
    audit = SqlAuditLog(make_sessionmaker(engine))
    at = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    record = MessageRecord("trace-1", Channel.TELEGRAM, "1001", "in", "Привет", at)
    await audit.record_message(record)

    await upgrade_database(database_url)

    assert await audit.count_messages() == 1
    await engine.dispose()
    assert (await _schema(database_url))["versions"] == ["0001"]


async def test_downgrade_base_drops_the_audit_tables(database_url: str) -> None:
    await upgrade_database(database_url)

    await downgrade_database(database_url)

    schema = await _schema(database_url)
    assert schema["tables"] == {"alembic_version"}
    assert schema["versions"] == []


def test_the_head_revision_constant_is_the_scripts_head() -> None:
    """``upgrade_database`` skips Alembic for a database at ``HEAD_REVISION``: a new migration
    must move the constant too, or it would never be applied."""
    from alembic.script import ScriptDirectory

    from dancebot.adapters.storage.db.migrate import HEAD_REVISION, alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [HEAD_REVISION]


async def test_the_revision_is_read_without_alembic(database_url: str) -> None:
    from dancebot.adapters.storage.db.migrate import HEAD_REVISION, current_revision

    assert await current_revision(database_url) is None  # fresh: no alembic_version table
    await upgrade_database(database_url)
    assert await current_revision(database_url) == HEAD_REVISION
    await downgrade_database(database_url)
    assert await current_revision(database_url) is None
    await upgrade_database(database_url)  # not at head: Alembic runs and creates the tables
    assert await current_revision(database_url) == HEAD_REVISION
