"""The engine alone: booking conversations straight into ``InboundPipeline.handle`` (no
webhook, no worker), 8 chats in flight, embedded (fakeredis, SQLite, the emulator in
process) or on the servers: the real Redis and PostgreSQL and the emulator as a process of
its own (D81). Its floor does the same I/O per message with no logic:
read and write a session-sized value in Redis and insert one audit-sized row."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import fakeredis
import redis.asyncio as aioredis
from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import PROJECT
from bench.conversations import RECEIPT, Conversation, conversations
from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import SystemClock
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings

IN_FLIGHT = 8
_SESSION = json.dumps({"state": "IDLE", "slots": {"name": "Мария"}, "history": ["x" * 60] * 12})


async def engine_rate(
    conversation_count: int,
    *,
    tmp: Path,
    redis_url: str | None,
    database_url: str | None,
    crm_url: str | None = None,
) -> tuple[float, int]:
    """Messages a second through the engine and how many conversations ended booked. The
    CRM is the emulator in this process, or the one serving at ``crm_url`` (a process of its
    own, as Redis and PostgreSQL are: its server side is not the engine's work)."""
    settings = Settings(
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        impulse_emulator_seed=PROJECT / "seeds/studio_tatyana.yaml",
        impulse_emulator_state="memory",
        impulse_base_url=crm_url,
        impulse_api_key="emulator-key",
        redis_url=redis_url,
        database_url=database_url,
        DANCEBOT_VAR_DIR=tmp,
        log_level="WARNING",
    )
    prefix = f"bench-engine-{uuid.uuid4().hex[:8]}"
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    # the first IN_FLIGHT conversations warm up (mappers configured, caches filled, the
    # lazy parts of the NLU built) and are not counted: the figure is the steady state
    plan = conversations(conversation_count + IN_FLIGHT, run=int(time.time()) % 97)
    booked = 0
    async with build_services(
        settings, clock=SystemClock(), outbox=outbox, admin=admin, keys=RedisKeys(prefix=prefix)
    ) as services:

        async def chat_worker(queue: Iterator[Conversation]) -> None:
            nonlocal booked
            for talk in queue:
                chat = ConsoleChat(
                    clock=services.clock,
                    chat_id=str(8_000_000 + talk.number),
                    channel=Channel.TELEGRAM,
                )
                last = []
                for text in talk.messages:
                    last = await services.pipeline.handle(chat.message(text))
                booked += any(RECEIPT in r.text for r in last)

        warm = iter(plan[:IN_FLIGHT])
        await asyncio.gather(*(chat_worker(warm) for _ in range(IN_FLIGHT)))
        booked = 0
        timed = iter(plan[IN_FLIGHT:])
        start = time.perf_counter()
        await asyncio.gather(*(chat_worker(timed) for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - start
        if redis_url is not None:
            async for key in services.redis.scan_iter(match=f"{prefix}:*"):
                await services.redis.delete(key)
    return conversation_count * 3 / elapsed, booked


async def engine_floor(
    messages: int, *, tmp: Path, redis_url: str | None, database_url: str | None
) -> float:
    """The same I/O with no logic: GET + SET of a session, one INSERT, per message."""
    redis = aioredis.from_url(redis_url) if redis_url else fakeredis.FakeAsyncRedis()
    url = _async_url(database_url) if database_url else f"sqlite+aiosqlite:///{tmp}/floor.db"
    db = create_async_engine(url)
    metadata = MetaData()
    rows = Table(
        f"bench_floor_{uuid.uuid4().hex[:8]}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("chat_id", String(64)),
        Column("text", Text),
    )
    async with db.begin() as conn:
        await conn.run_sync(metadata.create_all)
    counter = itertools.count()
    try:

        async def one() -> None:
            for n in iter(counter.__next__, None):
                if n >= messages:
                    return
                key = f"bench-floor:{n % 64}"
                await redis.get(key)
                await redis.set(key, _SESSION, ex=3600)
                async with db.begin() as conn:
                    await conn.execute(rows.insert().values(chat_id=key, text="Привет"))

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - start
    finally:
        async with db.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await db.dispose()
        await redis.aclose()
    return messages / elapsed


def _async_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def create_database(admin_dsn: str) -> str:
    """A fresh PostgreSQL database for one run; returns its DSN."""
    name = f"dancebot_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_dsn: str, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()
