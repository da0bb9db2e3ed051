"""Shared fixtures: the real Redis and PostgreSQL this machine runs (the test command starts
them), each test isolated by its own key prefix / database schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@localhost:5432/test"
)


@pytest.fixture
def key_prefix() -> str:
    """A prefix no other test uses, so tests can share one real Redis."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def real_redis(key_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(REDIS_URL, decode_responses=False)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment problem, said plainly
        pytest.fail(f"real Redis at {REDIS_URL} is not reachable ({exc}); run `make services`")
    yield client
    async for key in client.scan_iter(match=f"{key_prefix}:*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def embedded_redis() -> AsyncIterator[aioredis.Redis]:
    from dancebot.adapters.storage.redis_connection import make_redis

    client = make_redis(None)
    yield client
    await client.aclose()


@pytest.fixture(params=[pytest.param("real", marks=pytest.mark.redis), "embedded"])
def redis(request: pytest.FixtureRequest) -> aioredis.Redis:
    """The real Redis (``real_redis``) or the embedded fakeredis: a storage behaviour is
    tested against both with the same test (STYLE §10)."""
    client: aioredis.Redis = request.getfixturevalue(f"{request.param}_redis")
    return client
