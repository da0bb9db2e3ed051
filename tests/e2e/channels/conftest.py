"""The whole service over HTTP: the FastAPI app and the arq worker on real Redis and
PostgreSQL, the Impulse emulator as a server, and the fake Telegram and WhatsApp servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from arq.worker import Worker
from tests.conftest import REDIS_URL

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.entrypoints.app import create_app
from dancebot.entrypoints.settings import Settings
from dancebot.entrypoints.worker_process import worker_for
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.fake_telegram.updates import webhook_headers
from dancebot.testing.fake_whatsapp import FakeWhatsApp, create_fake_whatsapp_app
from dancebot.testing.fake_whatsapp.webhooks import DEFAULT_PHONE_NUMBER_ID, sign, webhook_body
from dancebot.testing.serve import serve_app

PROJECT = Path(__file__).resolve().parents[3]
START = datetime.fromisoformat("2026-03-02T10:00:00+10:00")
SECRET = "tg-webhook-secret"
WA_TOKEN, WA_APP_SECRET, WA_VERIFY = "wa-token", "wa-app-secret", "wa-verify"
ADMIN_CHAT = "-1001234567890"


@dataclass
class Stack:
    url: str
    http: httpx.AsyncClient
    telegram: FakeTelegram
    whatsapp: FakeWhatsApp
    emulator: EmulatorState
    clock: VirtualClock
    settings: Settings
    keys: RedisKeys
    redis: aioredis.Redis
    app: Any = None
    stop_app: Callable[[], Awaitable[None]] | None = None  # stops the app (a "restart")

    async def post_telegram(
        self, update: dict[str, Any], *, secret: str | None = SECRET
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/webhook/telegram", json=update, headers=webhook_headers(secret)
        )

    async def post_whatsapp(
        self, payload: dict[str, Any], *, secret: str | None = WA_APP_SECRET
    ) -> httpx.Response:
        body = webhook_body(payload)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = sign(body, secret)
        return await self.http.post(f"{self.url}/webhook/whatsapp", content=body, headers=headers)

    async def settle(self) -> None:
        """Wait until the consumers have taken everything from the stream, then let a burst
        worker deliver what was queued."""
        stream = self.keys.inbound_stream()
        for _ in range(200):
            info = await self.redis.xpending(stream, "conversation")
            length = await self.redis.xlen(stream)
            groups = await self.redis.xinfo_groups(stream)
            lag = groups[0].get("lag") if groups else 0
            if info["pending"] == 0 and (lag in (0, None)) and length >= 0:
                break
            await asyncio.sleep(0.05)
        await self.run_worker()

    async def run_worker(self) -> None:
        worker = Worker(
            **worker_for(self.settings, clock=self.clock, keys=self.keys),
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
        )
        try:
            await worker.async_run()
        finally:
            await worker.close()


async def until(check: Callable[[], Awaitable[bool]], *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture
async def stack(postgres_database: str, key_prefix: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with open_stack(postgres_database, key_prefix, tmp_path) as opened:
        yield opened


@asynccontextmanager
async def open_stack(
    postgres_database: str,
    key_prefix: str,
    tmp_path: Path,
    *,
    redis_url: str = REDIS_URL,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """The whole service on ``redis_url`` (a test's own Redis server, or the shared one);
    ``overrides``: more settings (e.g. admin_topics)."""
    clock = VirtualClock(START)
    telegram = FakeTelegram()
    whatsapp = FakeWhatsApp(now=clock.now)
    emulator = EmulatorState.from_seed_file(PROJECT / "seeds/studio_tatyana.yaml", now=clock.now)
    keys = RedisKeys(prefix=key_prefix)
    async with (
        serve_app(create_fake_telegram_app(telegram)) as tg_url,
        serve_app(create_fake_whatsapp_app(whatsapp, token=WA_TOKEN)) as wa_url,
        serve_app(create_emulator_app(emulator, api_key="crm-key")) as crm_url,
    ):
        settings = Settings(
            kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
            redis_url=redis_url,
            database_url=postgres_database,
            DANCEBOT_VAR_DIR=tmp_path,
            impulse_base_url=crm_url,
            impulse_api_key="crm-key",
            telegram_bot_token=telegram.token,
            telegram_webhook_secret=SECRET,
            telegram_api_base=tg_url,
            telegram_admin_chat_id=int(ADMIN_CHAT),
            whatsapp_token=WA_TOKEN,
            whatsapp_phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            whatsapp_app_secret=WA_APP_SECRET,
            whatsapp_verify_token=WA_VERIFY,
            whatsapp_api_base=f"{wa_url}/v21.0",
            **({"worker_metrics_port": 0} | overrides),  # burst workers serve no endpoints
        )
        app = create_app(settings, clock=clock, keys=keys)
        redis = aioredis.from_url(redis_url)
        async with AsyncExitStack() as running, httpx.AsyncClient() as http:
            await running.enter_async_context(app.router.lifespan_context(app))
            url = await running.enter_async_context(serve_app(app))
            yield Stack(
                stop_app=running.aclose,
                url=url,
                http=http,
                telegram=telegram,
                whatsapp=whatsapp,
                emulator=emulator,
                clock=clock,
                settings=settings,
                keys=keys,
                redis=redis,
                app=app,
            )
        with contextlib.suppress(aioredis.RedisError):
            async for key in redis.scan_iter(match=f"{key_prefix}:*"):
                await redis.delete(key)
        await redis.aclose()


def reservations_of(emulator: EmulatorState, phone_digits: str) -> list[dict[str, Any]]:
    state = emulator.snapshot()
    ids = {c["id"] for c in state["client"] if c.get("phone") == phone_digits}
    return [r for r in state["reservation"] if r["client"] in ids and not r.get("deleted")]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
