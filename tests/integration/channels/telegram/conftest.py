"""The real Telegram adapter against the fake Bot API over HTTP.

``fake`` (the state) → ``fake_app`` → ``api``: our ``BotApi`` reaching the app in process
(``httpx.ASGITransport``) or over a real uvicorn socket (what production does); the fixture
is parametrized over both → ``sender``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.botapi import BotApi
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app, in_process_api
from dancebot.testing.serve import serve_app

REQUEST_TIMEOUT = 0.5  # seconds; a programmed "timeout" failure sleeps longer than this


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(max_poll_wait=0.2)


@pytest.fixture
def fake_app(fake: FakeTelegram) -> ASGIApp:
    return create_fake_telegram_app(fake)


@pytest.fixture(params=["asgi", "socket"])
async def fake_url(request: pytest.FixtureRequest, fake_app: ASGIApp) -> AsyncIterator[str | None]:
    """None in process; the base URL of a real local server otherwise."""
    if request.param == "asgi":
        yield None
        return
    async with serve_app(fake_app) as url:
        yield url


def make_api(app: ASGIApp, url: str | None, *, token: str) -> BotApi:
    if url is None:
        return in_process_api(app, token=token, timeout=REQUEST_TIMEOUT)
    return BotApi(token, api_base=url, timeout=REQUEST_TIMEOUT)


@pytest.fixture
async def api(fake: FakeTelegram, fake_app: ASGIApp, fake_url: str | None) -> AsyncIterator[BotApi]:
    client = make_api(fake_app, fake_url, token=fake.token)
    yield client
    await client.close()


@pytest.fixture
def sender(api: BotApi) -> TelegramSender:
    return TelegramSender(api)


async def eventually(condition: Callable[[], object], *, seconds: float = 5.0) -> None:
    """Wait until ``condition()`` is true, polling; fail loudly after ``seconds``."""
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")
