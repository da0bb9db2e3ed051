"""Our Bot API client against aiogram's models of the Bot API (a dev dependency, D65): every
request we send, as the fake Telegram received it, is a valid call of its method with no
unknown parameter; and every answer Telegram may give maps to the same ``ChannelError`` kind
as the aiogram-based sender mapped it to."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiogram.methods
import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.botapi import BotApi
from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.domain.messages import Button, Channel, OutboundMessage
from dancebot.entrypoints.settings import Settings
from dancebot.ops.telegram_webhook import delete_webhook, set_webhook, webhook_info
from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
)
from dancebot.testing.fake_telegram import FakeTelegram, text_update
from dancebot.testing.serve import serve_app

CHAT = "351234567"
FORUM = "-1001234567890"
# every Bot API method the production code calls
USED_METHODS = {
    "sendMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "createForumTopic",
    "pinChatMessage",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
}


def outbound(text: str, **fields: Any) -> OutboundMessage:
    return OutboundMessage(channel=Channel.TELEGRAM, chat_id=CHAT, text=text, **fields)


async def use_every_method(fake: FakeTelegram, url: str) -> None:
    """Everything the bot does on Telegram: replies with and without buttons, a card pinned
    in a forum topic, typing, a long poll, the webhook commands."""
    fake.enable_forum(FORUM)
    sender = TelegramSender.connect(fake.token, api_base=url)
    try:
        await sender.send(outbound("Здравствуйте!"))
        buttons = (Button(title="Пятница 19:00", payload="slot:881"), Button(title="Нет"))
        await sender.send(outbound("Выберите:", buttons=buttons, reply_to_callback="4382"))
        thread_id = await sender.create_topic(FORUM, "Анна · telegram 351234567")
        card = outbound("Карточка", thread_id=thread_id, pin=True)
        await sender.send(card.model_copy(update={"chat_id": FORUM}))
        await sender.typing(CHAT)
        fake.push_update(text_update(int(CHAT), "привет"))
        stop = asyncio.Event()

        async def on_update(update: dict[str, Any]) -> None:
            stop.set()

        await asyncio.wait_for(run_polling(sender, on_update=on_update, stop=stop), 10)
    finally:
        await sender.close()
    settings = Settings(
        _env_file=None,
        telegram_bot_token=SecretStr(fake.token),
        telegram_webhook_secret=SecretStr("webhook-secret"),
        telegram_api_base=url,
    )
    await set_webhook(settings, "https://bot.example.ru/webhook/telegram", drop_pending=True)
    await webhook_info(settings)
    await delete_webhook(settings)


async def test_every_request_is_a_valid_call_of_its_method(
    fake: FakeTelegram, fake_app: ASGIApp
) -> None:
    async with serve_app(fake_app) as url:
        await use_every_method(fake, url)
    assert {call.method for call in fake.calls} == USED_METHODS
    assert fake.pinned and fake.callback_answers and fake.webhook is None  # all went through
    for call in fake.calls:
        assert call.headers["content-type"] == "application/json"
        model = getattr(aiogram.methods, call.method[0].upper() + call.method[1:])
        assert model.__api_method__ == call.method
        validated = model.model_validate(call.params)
        assert validated.model_extra == {}, (call.method, validated.model_extra)


# ---- answers: the same ChannelError kind as aiogram's errors mapped to ---------------------

_REJECTED = (
    TelegramForbiddenError,
    TelegramBadRequest,
    TelegramNotFound,
    TelegramUnauthorizedError,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramMigrateToChat,
)


def aiogram_kind(status: int, content: str) -> tuple[str, float | None]:
    """How the aiogram-based sender classified an answer to sendChatAction (its mapping)."""
    bot = Bot("42:parity-token")
    method = aiogram.methods.SendChatAction(chat_id=1, action="typing")
    try:
        bot.session.check_response(bot=bot, method=method, status_code=status, content=content)
    except TelegramRetryAfter as exc:
        return "rate_limited", float(exc.retry_after)
    except _REJECTED:
        return "rejected", None
    except (ClientDecodeError, TelegramAPIError):
        return "unavailable", None
    except TypeError:  # a 5xx without description: aiogram's check crashed on it
        return "crashed", None
    return "ok", None


def answering(status: int, content: str) -> ASGIApp:
    async def endpoint(_: Request) -> Response:
        return Response(content, status_code=status, media_type="application/json")

    return Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["POST"])])


async def our_kind(status: int, content: str) -> tuple[str, float | None]:
    transport = httpx.ASGITransport(app=answering(status, content))
    api = BotApi("42:parity-token", api_base="http://telegram", transport=transport)
    try:
        await api.call("sendChatAction", {"chat_id": 1, "action": "typing"})
    except ChannelRateLimited as exc:
        return "rate_limited", exc.retry_after
    except ChannelRejected:
        return "rejected", None
    except ChannelUnavailable:
        return "unavailable", None
    except ChannelError as exc:  # pragma: no cover - a kind the mapping never gives
        return type(exc).__name__, None
    finally:
        await api.close()
    return "ok", None


STATUSES = [200, 201, 226, 299, 302, 400, 401, 403, 404, 409, 413, 418, 429, 500, 502, 503]
_maybe = st.none() | st.just(0)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "ok": st.booleans() | st.sampled_from(["true", 1, None, "x"]),
        "result": st.just(True),
        "description": st.none() | st.text(max_size=30) | st.integers(),
        "error_code": st.none() | st.integers(min_value=0, max_value=600) | st.just("x"),
        "parameters": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "retry_after": _maybe | st.integers(-5, 3600) | st.sampled_from([1.5, "3", "x"]),
                "migrate_to_chat_id": _maybe | st.integers(-(10**13), -1),
            },
        ),
    },
)
bodies = envelopes.map(json.dumps) | st.sampled_from(
    ["", "{", "<html>502 Bad Gateway</html>", "null", "[]", "5", '"ok"', '{"ok": true}']
)


@settings(max_examples=300, deadline=None)
@given(status=st.sampled_from(STATUSES), content=bodies)
def test_every_answer_maps_to_the_kind_aiogram_mapped_it_to(status: int, content: str) -> None:
    expected = aiogram_kind(status, content)
    if expected[0] == "crashed":  # the old sender let a TypeError out; a 5xx is unavailable
        expected = ("unavailable", None)
    assert asyncio.run(our_kind(status, content)) == expected


_OK = {"ok": True, "result": True}
CASES = {
    "ok": (200, _OK, ("ok", None)),
    "flood": (429, {"ok": False, "parameters": {"retry_after": 3}}, ("rate_limited", 3.0)),
    "429_without_retry_after": (
        429,
        {"ok": False, "description": "Too Many"},
        ("unavailable", None),
    ),
    "migrated": (
        400,
        {"ok": False, "parameters": {"migrate_to_chat_id": -100}},
        ("rejected", None),
    ),
    "unauthorized": (401, {"ok": False, "description": "Unauthorized"}, ("rejected", None)),
    "blocked": (403, {"ok": False, "description": "Forbidden"}, ("rejected", None)),
    "conflict": (409, {"ok": False}, ("rejected", None)),
    "too_large": (413, {"ok": False}, ("rejected", None)),
    "teapot": (418, {"ok": False}, ("unavailable", None)),
    "bad_gateway": (502, "<html>502</html>", ("unavailable", None)),
    "ok_false_with_200": (200, {"ok": False}, ("unavailable", None)),
    "ok_true_with_400": (400, _OK, ("rejected", None)),
    "retry_after_zero": (
        429,
        {"ok": False, "parameters": {"retry_after": 0}},
        ("unavailable", None),
    ),
}


@pytest.mark.parametrize(("status", "body", "kind"), CASES.values(), ids=CASES.keys())
async def test_named_answers_map_as_before(
    status: int, body: object, kind: tuple[str, float | None]
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    assert await our_kind(status, content) == kind == aiogram_kind(status, content)
