"""scripts/backup.sh and scripts/restore.sh against the local PostgreSQL and Redis: a
throwaway database and a key prefix of this test's own, nothing else touched."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import delete, select
from sqlalchemy.engine import make_url
from tests.conftest import REDIS_URL

from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.db.models import MessageRow
from dancebot.domain.messages import Channel
from dancebot.ports.audit import MessageRecord

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PROJECT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _run(script: str, *args: str, database_url: str, prefix: str) -> subprocess.CompletedProcess:
    url = make_url(database_url)
    env = {
        **os.environ,
        "PG_EXEC": "",
        "APP_EXEC": "",
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": url.database or "",
        "REDIS_URL": REDIS_URL,
        "DANCEBOT_REDIS_PREFIX": prefix,
        # the venv's `dancebot` first, whatever started the tests
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if url.password:
        env["PGPASSWORD"] = url.password
    result = subprocess.run(
        ["bash", str(PROJECT / "scripts" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result


async def _texts(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(await session.scalars(select(MessageRow.text).order_by(MessageRow.id)))
    finally:
        await engine.dispose()


async def test_backup_then_restore_brings_back_database_rows_and_redis_keys(
    postgres_database_url: str, real_redis: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    await upgrade_database(postgres_database_url)
    engine = make_engine(postgres_database_url)
    audit = SqlAuditLog(make_sessionmaker(engine))
    for n, text in enumerate(["Привет", "Хочу на контемп", "да"]):
        await audit.record_message(
            MessageRecord(
                trace_id=f"t{n}",
                channel=Channel.TELEGRAM,
                chat_id="42",
                direction="in",
                text=text,
                at=AT,
            )
        )
    await audit.flush()
    await real_redis.set(f"{key_prefix}:fallback:entries", b"\x00binary\xff", ex=None)
    await real_redis.set(f"{key_prefix}:session:telegram:42", "state", ex=3600)
    await real_redis.hset(f"{key_prefix}:profile:telegram:42", mapping={"name": "Мария"})
    other = f"other-{key_prefix}:untouched"
    await real_redis.set(other, "theirs")

    backup = tmp_path / "backup"
    _run("backup.sh", str(backup), database_url=postgres_database_url, prefix=key_prefix)
    assert (backup / "postgres.dump").stat().st_size > 0
    assert len((backup / "redis.jsonl").read_text().splitlines()) == 1 + 3  # header + keys

    # everything changes after the backup: rows gone, keys gone or new, another prefix's key
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(delete(MessageRow).where(MessageRow.text != "да"))
    await engine.dispose()
    await real_redis.delete(f"{key_prefix}:fallback:entries", f"{key_prefix}:profile:telegram:42")
    await real_redis.set(f"{key_prefix}:session:telegram:42", "changed")
    await real_redis.set(f"{key_prefix}:stray", "written after the backup")
    await real_redis.set(other, "theirs, changed")

    _run("restore.sh", str(backup), database_url=postgres_database_url, prefix=key_prefix)

    assert await _texts(postgres_database_url) == ["Привет", "Хочу на контемп", "да"]
    assert await real_redis.get(f"{key_prefix}:fallback:entries") == b"\x00binary\xff"
    assert await real_redis.ttl(f"{key_prefix}:fallback:entries") == -1  # still no expiry
    assert await real_redis.get(f"{key_prefix}:session:telegram:42") == b"state"
    assert 0 < await real_redis.ttl(f"{key_prefix}:session:telegram:42") <= 3600
    assert await real_redis.hget(f"{key_prefix}:profile:telegram:42", "name") == "Мария".encode()
    assert await real_redis.exists(f"{key_prefix}:stray") == 0
    assert await real_redis.get(other) == b"theirs, changed"  # other deployments untouched
    await real_redis.delete(other)


def test_restore_refuses_a_damaged_backup(tmp_path: Path, key_prefix: str) -> None:
    backup = tmp_path / "broken"
    backup.mkdir()
    (backup / "postgres.dump").write_bytes(b"PGDMP not really")
    (backup / "redis.jsonl").write_text("{}\n")
    (backup / "SHA256SUMS").write_text(f"{'0' * 64}  postgres.dump\n{'0' * 64}  redis.jsonl\n")
    result = subprocess.run(
        ["bash", str(PROJECT / "scripts" / "restore.sh"), str(backup)],
        env={**os.environ, "PG_EXEC": "false", "APP_EXEC": "false"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "checksums do not match" in result.stderr
