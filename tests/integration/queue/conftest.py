"""Real parts for the outbound queue: the real Redis (arq's queue and the ledger), a fresh
PostgreSQL database for the dead letters, and the real Telegram adapter talking to the fake
Bot API over a real socket. Every message id starts with the test's key prefix, so arq's keys
of one test can be found and removed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker, create_worker
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.conftest import POSTGRES_URL, REDIS_URL

from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.adapters.clock import SystemClock
from dancebot.adapters.queue.delivery import RetryPolicy
from dancebot.adapters.queue.jobs import WorkerDeps
from dancebot.adapters.queue.rate_limit import ChannelLimits, ChannelRateLimits
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.entrypoints.worker import worker_settings
from dancebot.ports.channels import ChannelSender
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.serve import serve_app

# The 0/5/30 s schedule shrunk: tests assert order and counts, not timings.
FAST = RetryPolicy(
    delays=(0.0, 0.05, 0.1), busy_wait=0.05, error_wait=0.05, send_timeout=5.0, record_wait=0.3
)
# Limits that never get in the way of the retry tests (the limits have tests of their own).
LOOSE = {Channel.TELEGRAM: ChannelLimits(channel="1000/second", per_chat="1000/second")}
CHAT = "424242"


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
def new_message(key_prefix: str) -> Callable[..., OutboundMessage]:
    counter = iter(range(1, 10_000))

    def make(
        text: str = "Вы записаны ✅", *, chat_id: str = CHAT, **fields: Any
    ) -> OutboundMessage:
        return OutboundMessage(
            channel=fields.pop("channel", Channel.TELEGRAM),
            chat_id=chat_id,
            text=text,
            id=f"{key_prefix}-{next(counter)}",
            trace_id=str(uuid.uuid4()),
            **fields,
        )

    return make


@pytest.fixture
async def postgres_sessionmaker() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh PostgreSQL database with the migrations applied; dropped afterwards."""
    name = f"dancebot_queue_{uuid.uuid4().hex[:10]}"
    admin_dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await upgrade_database(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    await engine.dispose()
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, str]]:
    """The fake Bot API on a real localhost port: its state and base URL."""
    state = FakeTelegram()
    async with serve_app(create_fake_telegram_app(state)) as url:
        yield state, url


@pytest.fixture
async def telegram_sender(telegram: tuple[FakeTelegram, str]) -> AsyncIterator[TelegramSender]:
    state, url = telegram
    sender = TelegramSender.connect(state.token, api_base=url, request_timeout=5)
    yield sender
    await sender.close()


@pytest.fixture
async def arq_pool(key_prefix: str, real_redis: aioredis.Redis) -> AsyncIterator[ArqRedis]:
    """An enqueuing pool on the real Redis (as the app has one); arq's keys of this test's
    jobs are removed afterwards."""
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    yield pool
    async for key in pool.scan_iter(match=f"arq:*{key_prefix}*"):
        await pool.delete(key)
    await pool.aclose()


@dataclass
class WorkerRig:
    """Builds worker dependencies on the real Redis and PostgreSQL and runs burst workers."""

    redis: aioredis.Redis
    keys: RedisKeys
    sessionmaker: async_sessionmaker[AsyncSession]
    admin: ConsoleAdminNotifier
    senders: dict[Channel, ChannelSender]
    policy: RetryPolicy = FAST
    limits: dict[Channel, ChannelLimits] | None = None

    def deps(self, *, redis: aioredis.Redis | None = None) -> WorkerDeps:
        client = redis or self.redis
        rate_limits = ChannelRateLimits.on_redis(
            client, keys=self.keys, limits=self.limits or LOOSE
        )
        return WorkerDeps.create(
            senders=self.senders,
            redis=client,
            keys=self.keys,
            sessionmaker=self.sessionmaker,
            admin=self.admin,
            clock=SystemClock(),
            policy=self.policy,
            rate_limits=rate_limits,
        )

    def build(self) -> Callable[[], AbstractAsyncContextManager[WorkerDeps]]:
        @asynccontextmanager
        async def build() -> AsyncIterator[WorkerDeps]:
            yield self.deps()

        return build

    def worker(self) -> Worker:
        settings = worker_settings(
            self.build(), keys=self.keys, redis_settings=RedisSettings.from_dsn(REDIS_URL)
        )
        return create_worker(settings, burst=True, poll_delay=0.01, handle_signals=False)

    async def run_burst(self) -> Worker:
        """Run one worker until the queue is empty (retries included)."""
        worker = self.worker()
        try:
            await worker.async_run()
        finally:
            await worker.close()
        return worker


@pytest.fixture
def rig(
    real_redis: aioredis.Redis,
    keys: RedisKeys,
    postgres_sessionmaker: async_sessionmaker[AsyncSession],
    telegram_sender: TelegramSender,
) -> WorkerRig:
    return WorkerRig(
        redis=real_redis,
        keys=keys,
        sessionmaker=postgres_sessionmaker,
        admin=ConsoleAdminNotifier(),
        senders={Channel.TELEGRAM: telegram_sender},
    )
