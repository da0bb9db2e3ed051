"""The audit database's URL, engine and session factory (PostgreSQL, or SQLite by default)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = structlog.get_logger(__name__)

DEFAULT_SQLITE_NAME = "dancebot.db"
STATEMENT_TIMEOUT_MS = 30_000  # PostgreSQL cancels a statement of ours after this long

# Plain driver names operators write, mapped to the async drivers this code runs on.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def database_url(url: str | None, *, var_dir: Path) -> str:
    """The async SQLAlchemy URL to use.

    None → a SQLite file ``{var_dir}/dancebot.db`` (the folder is created; ``OSError`` when it
    cannot be). ``postgres://``/``postgresql://`` → ``postgresql+asyncpg://``, ``sqlite://`` →
    ``sqlite+aiosqlite://``; other URLs are returned unchanged. A malformed URL raises
    ``sqlalchemy.exc.ArgumentError``.
    """
    if url is None:
        folder = var_dir.expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{folder / DEFAULT_SQLITE_NAME}"
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def make_engine(url: str, *, connect_timeout_seconds: float = 10.0) -> AsyncEngine:
    """An async engine for ``url`` (already passed through ``database_url``). Connects lazily:
    an unreachable server fails on first use, not here. Statement parameters are kept out of
    exception messages, since they hold message texts. A PostgreSQL server that does not answer
    fails a connection attempt after ``connect_timeout_seconds`` (asyncpg would wait 60 s), and
    a statement that runs ``STATEMENT_TIMEOUT_MS`` is cancelled by the server.

    A SQLite file is written ahead (WAL, ``synchronous=NORMAL``: a commit survives the
    process being killed, the last ones may not survive the machine losing power) and its
    connections are not pinged before use: a file has no server to drop them (D83)."""
    backend = make_url(url).get_backend_name()
    connect_args: dict[str, object] = {}
    if backend == "postgresql":
        connect_args["timeout"] = connect_timeout_seconds
        # no statement of ours runs this long: a stuck one gives its pooled connection back
        connect_args["server_settings"] = {"statement_timeout": str(STATEMENT_TIMEOUT_MS)}
    engine = create_async_engine(
        url, pool_pre_ping=backend != "sqlite", hide_parameters=True, connect_args=connect_args
    )
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_write_ahead)
    return engine


def _sqlite_write_ahead(dbapi_connection: Any, _record: Any) -> None:
    """WAL once per file (it stays so), ``synchronous=NORMAL`` per connection: only with WAL,
    where it cannot corrupt the file. A file another connection holds cannot switch now; it
    does the next time a connection opens while it is free."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
        if mode not in ("wal", "memory"):
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                mode = str(cursor.fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:  # "database is locked"
                log.warning("sqlite_write_ahead_deferred", error=str(exc))
        if mode == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded rows usable after commit (no lazy reload on attribute access,
    which async sessions cannot do)."""
    return async_sessionmaker(engine, expire_on_commit=False)
