"""The real Telegram adapter against the fake Bot API over HTTP.

``fake`` (the state) → ``fake_app`` → ``bot``: an aiogram ``Bot`` reaching the app in process
(``InProcessBotSession`` over ``httpx.ASGITransport``) or over a real uvicorn socket
(``AiohttpSession`` with ``TelegramAPIServer.from_base``, what production uses); the fixture is
parametrized over both → ``sender``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app, in_process_bot
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


def make_bot(app: ASGIApp, url: str | None, *, token: str) -> Bot:
    if url is None:
        return in_process_bot(app, token=token, timeout=REQUEST_TIMEOUT)
    session = AiohttpSession(api=TelegramAPIServer.from_base(url), timeout=REQUEST_TIMEOUT)
    return Bot(token, session=session)


@pytest.fixture
async def bot(fake: FakeTelegram, fake_app: ASGIApp, fake_url: str | None) -> AsyncIterator[Bot]:
    client = make_bot(fake_app, fake_url, token=fake.token)
    yield client
    await client.session.close()


@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot)
