"""A whole bot on real Redis and PostgreSQL whose CRM is the emulator served over HTTP
behind a TCP proxy (so a test can break the network too), driven chat by chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from tests.conftest import REDIS_URL
from tests.e2e.conftest import MONDAY_MORNING, PROJECT
from tests.tcp_proxy import TcpProxy, tcp_proxy

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.dialogue.fallback import FallbackRetrier
from dancebot.domain.messages import Channel
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.settings import Settings
from dancebot.testing.serve import serve_app


@dataclass
class Rig:
    services: Services
    emulator: EmulatorState
    proxy: TcpProxy
    clock: VirtualClock
    outbox: ConsoleOutbox
    admin: ConsoleAdminNotifier
    keys: RedisKeys
    redis: aioredis.Redis
    told: list[str]
    admin_told: list[str]

    def chat(self, n: int) -> ConsoleChat:
        return ConsoleChat(clock=self.clock, chat_id=f"70{n:02d}", channel=Channel.TELEGRAM)

    async def say(self, chat: ConsoleChat, text: str) -> str:
        await self.services.pipeline.handle(chat.message(text))
        replies = self.outbox.drain()
        chat.saw(replies)
        self.told += [r.text for r in replies]
        self.admin_told += self.admin.drain()
        return "\n".join(r.text for r in replies)

    async def to_summary(self, chat: ConsoleChat, name: str, phone: str) -> None:
        await self.say(chat, "Хочу на контемп в среду в 19")
        assert "Всё верно?" in await self.say(chat, f"{name} {phone}")

    async def cold_cache(self) -> None:
        """What every booking does to the schedule cache."""
        await self.redis.incr(self.keys.crm_cache_generation())

    def retrier(self, **kwargs: Any) -> FallbackRetrier:
        s = self.services
        return FallbackRetrier(
            s.fallback,
            crm=s.crm,
            clock=self.clock,
            outbox=self.outbox,
            admin=self.admin,
            reminders=s.reminders,
            address=s.kb.studio.address,
            **kwargs,
        )

    def collect(self) -> None:
        self.told += [m.text for m in self.outbox.drain()]
        self.admin_told += self.admin.drain()


@asynccontextmanager
async def open_rig(
    postgres_database: str, key_prefix: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Rig]:
    clock = VirtualClock(MONDAY_MORNING)
    emulator = EmulatorState.from_seed_file(PROJECT / "seeds/studio_tatyana.yaml", now=clock.now)
    keys = RedisKeys(prefix=key_prefix)
    async with (
        serve_app(create_emulator_app(emulator, api_key="crm-key")) as crm_url,
        tcp_proxy(crm_url) as proxy,
    ):
        settings = Settings(
            kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
            redis_url=REDIS_URL,
            database_url=postgres_database,
            DANCEBOT_VAR_DIR=tmp_path,
            impulse_base_url=proxy.url,
            impulse_api_key="crm-key",
            **overrides,
        )
        outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
        redis = aioredis.from_url(REDIS_URL)
        async with build_services(
            settings, clock=clock, outbox=outbox, admin=admin, keys=keys, redis=redis
        ) as services:
            yield Rig(
                services, emulator, proxy, clock, outbox, admin, keys,
                aioredis.from_url(REDIS_URL), [], [],
            )  # fmt: skip
        cleanup = aioredis.from_url(REDIS_URL)
        async for key in cleanup.scan_iter(match=f"{key_prefix}:*"):
            await cleanup.delete(key)
        await cleanup.aclose()


async def until(check: Callable[[], Awaitable[bool] | bool], *, seconds: float = 15.0) -> None:
    """Poll ``check`` until true; fail loudly when it never becomes true."""
    for _ in range(int(seconds / 0.02)):
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")
