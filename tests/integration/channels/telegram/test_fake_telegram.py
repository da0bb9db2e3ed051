"""The fake Bot API's own wire contract, with a plain HTTP client (no aiogram): the answers
tests elsewhere rely on look like Telegram's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiogram.types import Message, Update
from starlette.types import ASGIApp

from dancebot.testing.fake_telegram import (
    BOT_USER,
    FakeTelegram,
    media_update,
    text_update,
    webhook_headers,
)
from dancebot.testing.serve import serve_app

CHAT = 351_234_567


@pytest.fixture
async def http(fake_app: ASGIApp, fake_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    if fake_url is None:
        transport = httpx.ASGITransport(app=fake_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            yield client
    else:
        async with httpx.AsyncClient(base_url=fake_url) as client:
            yield client


def url(fake: FakeTelegram, method: str) -> str:
    return f"/bot{fake.token}/{method}"


async def test_send_message_answers_a_full_message(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    markup = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
    response = await http.post(
        url(fake, "sendMessage"), json={"chat_id": CHAT, "text": "Привет", "reply_markup": markup}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    message = Message.model_validate(body["result"])  # what aiogram will read
    assert message.chat.id == CHAT
    assert message.chat.type == "private"
    assert message.text == "Привет"
    assert message.from_user is not None and message.from_user.id == BOT_USER["id"]
    assert body["result"]["reply_markup"] == markup
    assert fake.sent_messages(CHAT)[0].message_id == message.message_id


async def test_query_string_parameters_work_too(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    response = await http.get(url(fake, "SENDMESSAGE"), params={"chat_id": CHAT, "text": "hi"})
    assert response.json()["ok"] is True
    assert fake.sent_messages()[0].text == "hi"


async def test_wrong_token_is_401_unauthorized(http: httpx.AsyncClient, fake: FakeTelegram) -> None:
    response = await http.post("/bot42:nope/sendMessage", json={"chat_id": CHAT, "text": "x"})
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake.sent_messages() == []
    assert fake.calls[0].authorized is False


async def test_unknown_method_is_404(http: httpx.AsyncClient, fake: FakeTelegram) -> None:
    response = await http.post(url(fake, "sendHologram"), json={})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_429_carries_retry_after_in_parameters(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    fake.fail_next("429", retry_after=3)
    response = await http.post(url(fake, "sendMessage"), json={"chat_id": CHAT, "text": "x"})
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }


@pytest.mark.parametrize(
    ("kind", "status", "description"),
    [
        ("500", 500, "Internal Server Error"),
        ("403", 403, "Forbidden: bot was blocked by the user"),
        ("400", 400, "Bad Request: chat not found"),
    ],
)
async def test_programmed_errors_answer_like_telegram(
    http: httpx.AsyncClient, fake: FakeTelegram, kind: str, status: int, description: str
) -> None:
    fake.fail_next(kind)  # type: ignore[arg-type]
    response = await http.post(url(fake, "sendMessage"), json={"chat_id": CHAT, "text": "x"})
    assert response.status_code == status
    assert response.json() == {"ok": False, "error_code": status, "description": description}


def test_unknown_failure_kind_is_refused(fake: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="unknown failure kind"):
        fake.fail_next("418")  # type: ignore[arg-type]


async def test_calls_are_recorded_without_secrets(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    await http.post(
        url(fake, "setWebhook"),
        json={"url": "https://bot.example.ru/webhook/telegram", "secret_token": "hush-hush"},
        headers={"Authorization": "Bearer x", "X-Telegram-Bot-Api-Secret-Token": "hush-hush"},
    )
    [call] = fake.calls
    assert call.method == "setWebhook"
    assert call.path == "/bot***/setWebhook"
    assert call.params["secret_token"] == "***"
    assert call.params["url"] == "https://bot.example.ru/webhook/telegram"
    assert "authorization" not in call.headers
    assert "x-telegram-bot-api-secret-token" not in call.headers
    assert fake.token not in repr(call)
    assert fake.webhook is not None and fake.webhook["secret_token"] == "hush-hush"


async def test_get_updates_conflicts_while_a_webhook_is_set(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    await http.post(url(fake, "setWebhook"), json={"url": "https://bot.example.ru/hook"})
    response = await http.post(url(fake, "getUpdates"), json={})
    assert response.status_code == 409
    assert response.json()["description"].startswith("Conflict: can't use getUpdates")
    info = (await http.post(url(fake, "getWebhookInfo"))).json()["result"]
    assert info["url"] == "https://bot.example.ru/hook"
    await http.post(url(fake, "deleteWebhook"))
    assert (await http.post(url(fake, "getUpdates"), json={})).json() == {"ok": True, "result": []}


async def test_webhook_needs_https(http: httpx.AsyncClient, fake: FakeTelegram) -> None:
    response = await http.post(url(fake, "setWebhook"), json={"url": "http://insecure/hook"})
    assert response.status_code == 400
    assert fake.webhook is None


async def test_get_updates_serves_from_the_offset_and_forgets_confirmed(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    pushed = [fake.push_update(text_update(CHAT, str(n))) for n in range(3)]
    ids = [u["update_id"] for u in pushed]
    everything = (await http.post(url(fake, "getUpdates"), json={"timeout": 0})).json()
    assert [u["update_id"] for u in everything["result"]] == ids
    rest = await http.post(url(fake, "getUpdates"), json={"offset": ids[1], "limit": 1})
    assert [u["update_id"] for u in rest.json()["result"]] == [ids[1]]
    assert [u["update_id"] for u in fake.pending_updates] == ids[1:]
    for raw in everything["result"]:
        Update.model_validate(raw)


async def test_get_updates_long_polls_briefly_when_empty(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    fake.max_poll_wait = 0.1
    response = await http.post(url(fake, "getUpdates"), json={"timeout": 25})
    assert response.json() == {"ok": True, "result": []}
    assert len(fake.calls) == 1


async def test_push_update_adds_an_update_id(fake: FakeTelegram) -> None:
    body = media_update("voice", CHAT)
    del body["update_id"]
    pushed = fake.push_update(body)
    assert isinstance(pushed["update_id"], int)
    assert fake.pending_updates == [pushed]


async def test_get_me_and_chat_action(http: httpx.AsyncClient, fake: FakeTelegram) -> None:
    me = (await http.get(url(fake, "getMe"))).json()["result"]
    assert me["is_bot"] is True and me["username"] == BOT_USER["username"]
    await http.post(url(fake, "sendChatAction"), json={"chat_id": CHAT, "action": "typing"})
    assert fake.chat_actions(CHAT) == ["typing"]
    assert fake.chat_actions(999) == []


def test_webhook_headers() -> None:
    assert webhook_headers("s")["X-Telegram-Bot-Api-Secret-Token"] == "s"
    assert "X-Telegram-Bot-Api-Secret-Token" not in webhook_headers(None)


async def test_serve_app_frees_its_port_on_exit(fake_app: ASGIApp) -> None:
    async with serve_app(fake_app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/bot1:x/getMe")).status_code == 401
    async with httpx.AsyncClient(base_url=base) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/bot1:x/getMe")


FORUM = "-1001234567890"


async def test_forum_topics_threads_and_pins_follow_the_bot_api(
    http: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    from aiogram.types import ForumTopic

    refused = await http.post(url(fake, "createForumTopic"), json={"chat_id": FORUM, "name": "x"})
    assert refused.status_code == 400
    assert refused.json()["description"] == "Bad Request: the chat is not a forum"

    fake.enable_forum(FORUM)
    created = await http.post(
        url(fake, "createForumTopic"), json={"chat_id": FORUM, "name": "Анна · telegram 1"}
    )
    topic = ForumTopic.model_validate(created.json()["result"])
    assert fake.topics[FORUM] == {topic.message_thread_id: "Анна · telegram 1"}
    empty = await http.post(url(fake, "createForumTopic"), json={"chat_id": FORUM, "name": " "})
    assert empty.status_code == 400

    sent = await http.post(
        url(fake, "sendMessage"),
        json={"chat_id": FORUM, "text": "карточка", "message_thread_id": topic.message_thread_id},
    )
    message = Message.model_validate(sent.json()["result"])
    assert message.is_topic_message and message.message_thread_id == topic.message_thread_id
    assert message.chat.is_forum
    lost = await http.post(
        url(fake, "sendMessage"), json={"chat_id": FORUM, "text": "x", "message_thread_id": 999}
    )
    assert lost.json()["description"] == "Bad Request: message thread not found"

    pin = await http.post(
        url(fake, "pinChatMessage"), json={"chat_id": FORUM, "message_id": message.message_id}
    )
    assert pin.json() == {"ok": True, "result": True}
    assert fake.pinned == [(FORUM, message.message_id)]
    missing = await http.post(url(fake, "pinChatMessage"), json={"chat_id": FORUM, "message_id": 5})
    assert missing.json()["description"] == "Bad Request: message to pin not found"
    assert [m.text for m in fake.topic_messages(FORUM, topic.message_thread_id)] == ["карточка"]


def test_topic_and_group_callback_updates_parse_as_telegram_sends_them() -> None:
    from dancebot.testing.fake_telegram import callback_update, topic_update

    update = Update.model_validate(topic_update(int(FORUM), 77, "ответ клиенту"))
    assert update.message is not None and update.message.is_topic_message
    assert update.message.message_thread_id == 77 and update.message.from_user is not None
    assert update.message.from_user.id != int(FORUM)  # a member wrote it, not the group
    pressed = Update.model_validate(callback_update(int(FORUM), "adm:take:x", thread_id=77))
    assert pressed.callback_query is not None
    assert isinstance(pressed.callback_query.message, Message)
    assert pressed.callback_query.message.message_thread_id == 77
