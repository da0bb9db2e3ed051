"""The bot token (part of every Bot API URL) never reaches a log line or an error we raise,
whatever goes wrong: every failure kind, typing, callbacks, polling, a dead server."""

from __future__ import annotations

import asyncio
import io
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.domain.messages import Button, Channel, OutboundMessage
from dancebot.entrypoints.logging import configure_logging, reset_logging
from dancebot.ports.channels import ChannelError
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app, text_update
from dancebot.testing.serve import serve_app

TOKEN = "987654321:AAH-very-secret-Token_value"
SECRET_PART = "AAH-very-secret-Token_value"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything structlog renders (JSON, DEBUG and up), the production processors included;
    the previous structlog configuration is restored afterwards."""
    saved = structlog.get_config()
    stream = io.StringIO()
    configure_logging(fmt="json", level="DEBUG", stream=stream)
    yield stream
    reset_logging()
    structlog.configure(**saved)


def outbound(text: str, *, reply_to_callback: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.TELEGRAM,
        chat_id="351234567",
        text=text,
        buttons=(Button(title="Да", payload="yes"),),
        reply_to_callback=reply_to_callback,
    )


async def exercise(sender: TelegramSender, fake: FakeTelegram) -> list[BaseException]:
    """Send through every failure kind; return the errors raised."""
    raised: list[BaseException] = []
    await sender.send(outbound("ok", reply_to_callback="cb-1"))
    for kind in ("429", "500", "502", "403", "400", "401", "timeout"):
        fake.fail_next(kind, seconds=0.6)
        try:
            await sender.send(outbound(f"fails with {kind}"))
        except ChannelError as exc:
            raised.append(exc)
        fake.fail_next(kind, seconds=0.6)
        await sender.typing("351234567")
        fake.fail_next(kind, seconds=0.6)
        await sender.answer_callback("cb-2")
    return raised


def assert_no_token(*texts: str) -> None:
    for text in texts:
        assert SECRET_PART not in text


async def test_token_never_logged_nor_raised(
    caplog: pytest.LogCaptureFixture, log_output: io.StringIO
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx, httpcore, uvicorn, asyncio: everything
    fake = FakeTelegram(token=TOKEN, max_poll_wait=0.1)
    app: ASGIApp = create_fake_telegram_app(fake)
    async with serve_app(app) as url:
        sender = TelegramSender.connect(TOKEN, api_base=url, request_timeout=0.3)
        raised = await exercise(sender, fake)

        fake.fail_next("500", times=2, method="getUpdates")
        fake.push_update(text_update(351234567, "привет"))
        stop = asyncio.Event()

        async def on_update(update: dict[str, Any]) -> None:
            stop.set()

        await asyncio.wait_for(
            run_polling(sender, on_update=on_update, stop=stop, timeout=1, first_backoff=0.01),
            timeout=10,
        )
        await sender.close()

    dead = TelegramSender.connect(TOKEN, api_base=url, request_timeout=0.3)  # nothing listens
    try:
        await dead.send(outbound("nobody home"))
    except ChannelError as exc:
        raised.append(exc)
    await dead.typing("351234567")
    await dead.close()
    # a port out of range fails deep in the socket layer; the error names the URL, token cut
    invalid = TelegramSender.connect(TOKEN, api_base="http://127.0.0.1:99999")
    try:
        await invalid.send(outbound("bad url"))
    except ChannelError as exc:
        raised.append(exc)
    await invalid.close()

    assert len(raised) == 9  # 7 failure kinds, the dead server, the invalid URL
    assert "/bot***/sendMessage" in str(raised[-1])
    # a timed-out send still went through, late: Telegram acted, the answer was lost
    assert [m.text for m in fake.sent_messages()] == ["ok", "fails with timeout"]
    rendered = log_output.getvalue()
    assert "telegram_send_failed" in rendered  # the failures were logged…
    assert "telegram_polling_failed" in rendered
    assert_no_token(
        rendered,  # …without the token
        caplog.text,
        *(str(exc) for exc in raised),
        *(repr(exc) for exc in raised),
        *("".join(traceback.format_exception(exc)) for exc in raised),
        *(repr(call) for call in fake.calls),
        repr(fake),
    )
    assert all(exc.__cause__ is None for exc in raised)
