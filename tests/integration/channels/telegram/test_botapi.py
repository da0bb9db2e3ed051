"""``BotApi`` on its own: per-call deadlines (long polls), answers it cannot read, tokens
that are not tokens, and errors that carry nothing of the original exception."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp
from structlog.testing import capture_logs

from dancebot.adapters.channels.telegram.botapi import BotApi, InvalidBotToken
from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.ports.channels import ChannelUnavailable
from dancebot.testing.fake_telegram import FakeTelegram
from dancebot.testing.serve import serve_app

from .conftest import REQUEST_TIMEOUT, eventually, make_api


async def test_a_long_poll_outlives_the_default_timeout(
    fake: FakeTelegram, fake_app: ASGIApp
) -> None:
    fake.max_poll_wait = REQUEST_TIMEOUT * 2  # the fake holds an empty getUpdates this long
    api = make_api(fake_app, None, token=fake.token)
    stop = asyncio.Event()

    async def on_update(update: dict[str, Any]) -> None:
        raise AssertionError("no update was pushed")

    with capture_logs() as logs:
        task = asyncio.create_task(run_polling(api, on_update=on_update, stop=stop, timeout=1))
        # the first one ended
        await eventually(lambda: len(fake.calls_to("getUpdates")) >= 2, seconds=10)
        stop.set()
        assert await asyncio.wait_for(task, timeout=5) == 0
    await api.close()
    assert [e["event"] for e in logs if e["event"].startswith("telegram_polling")] == []


def answering(body: object, status: int = 200) -> ASGIApp:
    async def endpoint(_: Request) -> Response:
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["POST"])])


def outbound(text: str) -> OutboundMessage:
    return OutboundMessage(channel=Channel.TELEGRAM, chat_id="351234567", text=text)


@pytest.mark.parametrize(
    "result", [{}, {"message_id": "12"}, {"message_id": True}, [], None], ids=repr
)
async def test_a_sent_message_without_its_id_is_unavailable(result: object) -> None:
    transport = httpx.ASGITransport(app=answering({"ok": True, "result": result}))
    sender = TelegramSender(BotApi("42:x", api_base="http://tg", transport=transport))
    with pytest.raises(ChannelUnavailable, match="sendMessage: the answer has no message_id"):
        await sender.send(outbound("привет"))
    await sender.close()


async def test_a_poll_answer_that_is_no_list_of_updates_is_a_failure_and_backs_off() -> None:
    transport = httpx.ASGITransport(app=answering({"ok": True, "result": {"update_id": 1}}))
    api = BotApi("42:x", api_base="http://tg", transport=transport)
    stop = asyncio.Event()

    async def on_update(update: dict[str, Any]) -> None:
        raise AssertionError("nothing to hand over")

    with capture_logs() as logs:
        polling = run_polling(api, on_update=on_update, stop=stop, first_backoff=0.01)
        task = asyncio.create_task(polling)
        await eventually(
            lambda: any(e["event"] == "telegram_polling_failed" for e in logs), seconds=10
        )
        stop.set()
        assert await asyncio.wait_for(task, timeout=5) == 0
    await api.close()
    failed = next(e for e in logs if e["event"] == "telegram_polling_failed")
    assert failed["reason"] == "getUpdates: the answer is not a list of updates"


@pytest.mark.parametrize(
    "token",
    ["", "no-colon-secret", "abc:secret", "123:", "123:with space", "123:with/slash", "12 3:x"],
)
def test_a_token_not_shaped_like_one_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(InvalidBotToken) as caught:
        TelegramSender.connect(token)
    assert str(caught.value).startswith("the bot token must")  # a fixed text, not the token
    assert isinstance(caught.value, ValueError)


async def test_a_network_error_is_raised_without_cause_or_context(fake_app: ASGIApp) -> None:
    async with serve_app(fake_app) as url:
        pass  # nothing listens there any more
    api = BotApi("987654:AAH-secret-part", api_base=url, timeout=2)
    with pytest.raises(ChannelUnavailable) as caught:
        await api.call("getMe")
    await api.close()
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    assert "AAH-secret-part" not in str(error)
    assert f"getMe via {url}/bot***/getMe: ConnectError" in str(error)
