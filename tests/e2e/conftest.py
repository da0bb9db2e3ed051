"""A whole bot on real parts: real Redis and PostgreSQL, the Impulse emulator over HTTP
through the real client, a virtual clock. Each test gets a fresh database and key prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from tests.conftest import POSTGRES_URL, REDIS_URL

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
MONDAY_MORNING = datetime.fromisoformat("2026-03-02T10:00:00+10:00")


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"dancebot_e2e_{uuid.uuid4().hex[:10]}"
    admin_dsn = POSTGRES_URL.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@dataclass
class Bot:
    services: Services
    chat: ConsoleChat
    outbox: ConsoleOutbox
    admin: ConsoleAdminNotifier
    clock: VirtualClock

    async def say(self, text: str) -> list[OutboundMessage]:
        await self.services.pipeline.handle(self.chat.message(text))
        replies = self.outbox.drain()
        self.chat.saw(replies)
        return replies

    async def say_text(self, text: str) -> str:
        return "\n".join(r.text for r in await self.say(text))


@pytest.fixture
async def bot(postgres_database: str, key_prefix: str, tmp_path: Path) -> AsyncIterator[Bot]:
    settings = Settings(
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        impulse_emulator_seed=PROJECT / "seeds/studio_tatyana.yaml",
        impulse_emulator_state="memory",
        redis_url=REDIS_URL,
        database_url=postgres_database,
        DANCEBOT_VAR_DIR=tmp_path,
    )
    clock = VirtualClock(MONDAY_MORNING)
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    redis = aioredis.from_url(REDIS_URL, decode_responses=False)
    async with build_services(
        settings,
        clock=clock,
        outbox=outbox,
        admin=admin,
        keys=RedisKeys(prefix=key_prefix),
        redis=redis,
    ) as services:
        chat = ConsoleChat(clock=clock, chat_id="1001", channel=Channel.TELEGRAM)
        yield Bot(services=services, chat=chat, outbox=outbox, admin=admin, clock=clock)
    cleanup = aioredis.from_url(REDIS_URL)
    async for key in cleanup.scan_iter(match=f"{key_prefix}:*"):
        await cleanup.delete(key)
    await cleanup.aclose()
