"""Alembic environment for the audit database, async (asyncpg / aiosqlite).

Two ways in:
- programmatic (``dancebot.adapters.storage.db.migrate``): a connection is handed over in
  ``config.attributes["connection"]`` and the migrations run on it, inside the caller's
  transaction and event loop;
- the ``alembic`` command line: the URL is the ``sqlalchemy.url`` main option when set, else
  ``DATABASE_URL``, else the default SQLite file under ``var/``; a fresh event loop runs it.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from dancebot.adapters.storage.db.engine import database_url
from dancebot.adapters.storage.db.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name)  # CLI only: the app keeps its own logging set-up


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    return database_url(configured or None, var_dir=Path("var"))


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL instead of running it."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
