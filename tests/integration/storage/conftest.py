"""Databases for the storage tests: a fresh PostgreSQL database per test (created on the real
server, dropped after) and a SQLite file in the test's tmp dir."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

# Same variable and default as POSTGRES_URL in tests/conftest.py (not importable from here:
# the tests folder is not a package).
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@localhost:5432/test"
)


def _asyncpg_dsn(url: str) -> str:
    """asyncpg wants ``postgresql://``, not SQLAlchemy's ``postgresql+asyncpg://``."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def postgres_database_url() -> AsyncIterator[str]:
    """The URL of a brand-new, empty PostgreSQL database, dropped when the test ends."""
    name = f"dancebot_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    except (OSError, asyncpg.PostgresError) as exc:  # pragma: no cover - environment problem
        pytest.fail(f"real PostgreSQL at {POSTGRES_URL} is not reachable ({exc})")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("sqlite"),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs once on the real PostgreSQL and once on SQLite."""
    fixture_name = f"{request.param}_database_url"
    url: str = request.getfixturevalue(fixture_name)
    return url
