"""The AI layer against the fake LLM server over real HTTP, with the real Redis (budget
counters, summaries) and a real database for ``llm_calls``.

``make_ai(provider=..., **settings)`` builds the layer exactly as bootstrap does
(``build_ai_layer``) pointed at the fake; ``admin`` records what the admin chat was told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.storage.conftest import (
    postgres_database_url,  # noqa: F401 - a fixture used by name
)

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.domain.session import Session
from dancebot.entrypoints.ai_layer import AiLayer, build_ai_layer
from dancebot.entrypoints.settings import Settings
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import FakeLLM, serve_fake_llm

PROJECT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 3, 2)  # a Monday
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

MakeAi = Callable[..., AiLayer]


class AdminChat:
    """The admin chat as the AI layer sees it (``AdminNotifier``): what it was told."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        self.sent.append(text)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(PROJECT / "knowledge/studio_tatyana.yaml")


@pytest.fixture
def fake() -> FakeLLM:
    return FakeLLM()


@pytest.fixture
async def fake_url(fake: FakeLLM, kb: KnowledgeBase) -> AsyncIterator[str]:
    async with serve_fake_llm(fake, kb=kb) as url:
        yield url


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def admin() -> AdminChat:
    return AdminChat()


@pytest.fixture
async def db(postgres_database_url: str) -> AsyncIterator[AsyncEngine]:  # noqa: F811
    await upgrade_database(postgres_database_url)
    engine = make_engine(postgres_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def audit(db: AsyncEngine) -> SqlAuditLog:
    return SqlAuditLog(make_sessionmaker(db))


def settings_for(url: str, provider: str = "anthropic", **overrides: Any) -> Settings:
    base = url if provider == "anthropic" else f"{url}/v1"
    values: dict[str, Any] = {
        "llm_provider": provider,
        "llm_model": "fake-model-1",
        "llm_api_key": "test-key",
        "llm_base_url": base,
        "llm_timeout_seconds": 2.0,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@pytest.fixture
def make_ai(
    fake_url: str,
    real_redis: aioredis.Redis,
    key_prefix: str,
    audit: SqlAuditLog,
    clock: VirtualClock,
    admin: AdminChat,
) -> MakeAi:
    def build(provider: str = "anthropic", **overrides: Any) -> AiLayer:
        layer = build_ai_layer(
            settings_for(fake_url, provider, **overrides),
            redis=real_redis,
            keys=RedisKeys(prefix=key_prefix),
            audit=audit,
            clock=clock,
            admin=admin,
        )
        assert layer is not None
        return layer

    return build


@pytest.fixture
def session(clock: VirtualClock) -> Session:
    return Session.start(Channel.TELEGRAM, "42", now=clock.now())
