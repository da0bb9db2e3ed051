"""Bring the audit database's schema up to date at start (``alembic upgrade head``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:  # Alembic (and Mako) load only when there is something to migrate
    from alembic.config import Config

SCRIPT_LOCATION = "dancebot.adapters.storage:migrations"
# The newest migration. A database already there is not handed to Alembic at all, so a
# restart does not pay for importing it (a test keeps this equal to the scripts' head).
HEAD_REVISION = "0001"
# Any constant works; it only has to be the same in every process migrating this database.
_PG_ADVISORY_LOCK_KEY = 0x64616E6365  # "dance"


def alembic_config(url: str) -> Config:
    """An Alembic config for the packaged migrations, needing no ``alembic.ini``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser would read "%" in a password as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_database(url: str, *, revision: str = "head") -> None:
    """Apply every migration not yet applied; a database already at ``revision`` is left
    untouched, so this is safe at every start.

    ``url`` is an async SQLAlchemy URL (see ``engine.database_url``). On PostgreSQL an advisory
    lock makes processes starting together (app and worker) migrate one after the other.
    Raises SQLAlchemy/driver errors when the database is unreachable and
    ``alembic.util.CommandError`` for an unknown revision; a failed migration is rolled back
    where the database allows (PostgreSQL: entirely; SQLite: DDL is not transactional).
    """
    if revision == "head" and await current_revision(url) == HEAD_REVISION:
        return
    await _run(url, "upgrade", revision)


async def current_revision(url: str) -> str | None:
    """The revision the database is at, read without Alembic; None when it has none (a
    fresh database, or no ``alembic_version`` table yet)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    except DBAPIError:
        return None
    finally:
        await engine.dispose()
    return str(rows[0][0]) if len(rows) == 1 else None


async def downgrade_database(url: str, *, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``base``: drop every audit table). For tests and
    operators; the app never calls it."""
    await _run(url, "downgrade", revision)


async def _run(url: str, direction: str, revision: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ADVISORY_LOCK_KEY}
                )
            await connection.run_sync(_run_command, url, direction, revision)
    finally:
        await engine.dispose()


def _run_command(connection: Connection, url: str, direction: str, revision: str) -> None:
    from alembic import command

    config = alembic_config(url)
    config.attributes["connection"] = connection  # env.py runs on it, in this transaction
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
