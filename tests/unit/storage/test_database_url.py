"""Which database the app talks to, from ``DATABASE_URL`` (DESIGN §11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dancebot.adapters.storage.db.engine import database_url


def test_unset_url_means_a_sqlite_file_under_var(tmp_path: Path) -> None:
    var_dir = tmp_path / "var" / "nested"

    url = database_url(None, var_dir=var_dir)

    assert url == f"sqlite+aiosqlite:///{var_dir.resolve()}/dancebot.db"
    assert var_dir.is_dir()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://bot:s3cret@db:5432/dancebot",
            "postgresql+asyncpg://bot:s3cret@db:5432/dancebot",
        ),
        ("postgres://bot:s3cret@db/dancebot", "postgresql+asyncpg://bot:s3cret@db/dancebot"),
        ("postgresql+asyncpg://bot@db/dancebot", "postgresql+asyncpg://bot@db/dancebot"),
        ("sqlite:////data/audit.db", "sqlite+aiosqlite:////data/audit.db"),
        ("sqlite+aiosqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
    ],
)
def test_sync_driver_urls_become_async_ones(given: str, expected: str, tmp_path: Path) -> None:
    assert database_url(given, var_dir=tmp_path) == expected
