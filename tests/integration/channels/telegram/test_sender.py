"""TelegramSender against the fake Bot API (in process and over a real port): what reaches
Telegram, and which ChannelError each failure becomes."""

from __future__ import annotations

import time

import pytest
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.keyboard import CallbackDataTooLong
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.domain.messages import Button, Channel, OutboundMessage, TemplateCall
from dancebot.ports.channels import (
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    Delivery,
)
from dancebot.testing.fake_telegram import FailureKind, FakeTelegram
from dancebot.testing.serve import serve_app

CHAT = "351234567"


def outbound(
    text: str = "Здравствуйте! Чем помочь?",
    *,
    chat_id: str = CHAT,
    buttons: tuple[Button, ...] = (),
    reply_to_callback: str | None = None,
) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.TELEGRAM,
        chat_id=chat_id,
        text=text,
        buttons=buttons,
        reply_to_callback=reply_to_callback,
    )


async def test_text_is_sent_and_the_message_id_returned(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    delivery = await sender.send(outbound("Занятия по будням в 19:00"))
    sent = fake.sent_messages(chat_id=CHAT)
    assert len(sent) == 1
    assert sent[0].text == "Занятия по будням в 19:00"
    assert sent[0].buttons == ()
    assert delivery == Delivery(channel_message_id=str(sent[0].message_id))
    call = fake.calls_to("sendMessage")[0]
    assert call.params == {"chat_id": int(CHAT), "text": "Занятия по будням в 19:00"}
    assert call.headers["content-type"] == "application/json"


async def test_buttons_become_an_inline_keyboard_with_payloads(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    buttons = (
        Button(title="Пятница 19:00 — Contemporary", payload="slot:881"),
        Button(title="Суббота 12:00 — Jazz-funk", payload="slot:902"),
        Button(title="Другое время"),
    )
    await sender.send(outbound("Выберите время:", buttons=buttons))
    [message] = fake.sent_messages(CHAT)
    assert message.titles == tuple(b.title for b in buttons)
    assert message.payloads == ("slot:881", "slot:902", "Другое время")
    markup = fake.calls_to("sendMessage")[0].params["reply_markup"]
    assert [len(row) for row in markup["inline_keyboard"]] == [1, 1, 1]


async def test_the_button_press_is_answered_before_the_reply(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    await sender.send(outbound("Записала вас ✅", reply_to_callback="4382749823749823123"))
    assert fake.answered_callbacks() == ["4382749823749823123"]
    assert [call.method for call in fake.calls] == ["answerCallbackQuery", "sendMessage"]


async def test_a_failed_callback_answer_does_not_stop_the_reply(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    fake.fail_next("400", method="answerCallbackQuery")
    delivery = await sender.send(outbound("Записала вас ✅", reply_to_callback="old-query"))
    assert delivery.channel_message_id is not None
    assert fake.answered_callbacks() == []
    assert [m.text for m in fake.sent_messages(CHAT)] == ["Записала вас ✅"]


async def test_answer_callback_reports_success(sender: TelegramSender, fake: FakeTelegram) -> None:
    assert await sender.answer_callback("111") is True
    fake.fail_next("500")
    assert await sender.answer_callback("222") is False
    assert fake.answered_callbacks() == ["111"]


async def test_template_messages_go_as_their_text(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    message = outbound("Напоминаем: завтра в 19:00 Contemporary").model_copy(
        update={"template": TemplateCall(name="lesson_reminder_24h", params=("Анна", "19:00"))}
    )
    await sender.send(message)
    assert [m.text for m in fake.sent_messages(CHAT)] == ["Напоминаем: завтра в 19:00 Contemporary"]


async def test_typing_shows_the_typing_action(sender: TelegramSender, fake: FakeTelegram) -> None:
    await sender.typing(CHAT)
    assert fake.chat_actions(CHAT) == ["typing"]


@pytest.mark.parametrize("kind", ["500", "403", "429", "timeout", "401"])
async def test_typing_swallows_every_failure(
    sender: TelegramSender, fake: FakeTelegram, kind: FailureKind
) -> None:
    fake.fail_next(kind, seconds=1.0)
    await sender.typing(CHAT)
    assert fake.chat_actions() == []
    assert len(fake.calls_to("sendChatAction")) == 1  # it did try


async def test_429_is_rate_limited_with_retry_after(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    fake.fail_next("429", retry_after=7)
    with pytest.raises(ChannelRateLimited) as caught:
        await sender.send(outbound())
    assert caught.value.retry_after == 7.0
    assert "retry after 7" in str(caught.value)
    assert fake.sent_messages() == []


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_server_errors_are_unavailable(
    sender: TelegramSender, fake: FakeTelegram, kind: FailureKind
) -> None:
    fake.fail_next(kind)
    with pytest.raises(ChannelUnavailable):
        await sender.send(outbound())
    assert fake.sent_messages() == []


async def test_a_slow_answer_is_unavailable(sender: TelegramSender, fake: FakeTelegram) -> None:
    fake.fail_next("timeout", seconds=1.0)
    started = time.monotonic()
    with pytest.raises(ChannelUnavailable, match="timeout"):
        await sender.send(outbound())
    assert time.monotonic() - started < 0.95  # gave up at its own timeout, not the server's


async def test_blocked_by_the_user_is_rejected(sender: TelegramSender, fake: FakeTelegram) -> None:
    fake.fail_next("403")
    with pytest.raises(ChannelRejected, match="blocked by the user"):
        await sender.send(outbound())


async def test_blocked_chat_stays_rejected(sender: TelegramSender, fake: FakeTelegram) -> None:
    fake.blocked_chats.add(CHAT)
    for _ in range(2):
        with pytest.raises(ChannelRejected, match="Forbidden"):
            await sender.send(outbound())
    other = await sender.send(outbound(chat_id="777"))
    assert other.channel_message_id is not None


async def test_unknown_chat_is_rejected(sender: TelegramSender) -> None:
    with pytest.raises(ChannelRejected, match="chat not found"):
        await sender.send(outbound(chat_id="not-a-chat"))


async def test_empty_text_is_rejected_by_telegram(sender: TelegramSender) -> None:
    with pytest.raises(ChannelRejected, match="message text is empty"):
        await sender.send(outbound("   "))


async def test_only_the_targeted_method_fails(sender: TelegramSender, fake: FakeTelegram) -> None:
    fake.fail_next("500", method="sendChatAction")
    await sender.send(outbound("первое"))
    await sender.typing(CHAT)
    await sender.send(outbound("второе"))
    assert [m.text for m in fake.sent_messages()] == ["первое", "второе"]
    assert fake.chat_actions() == []


async def test_failures_are_consumed_in_order(sender: TelegramSender, fake: FakeTelegram) -> None:
    fake.fail_next("500", times=2)
    for _ in range(2):
        with pytest.raises(ChannelUnavailable):
            await sender.send(outbound())
    assert (await sender.send(outbound())).channel_message_id is not None


async def test_too_long_button_payload_is_refused_before_any_call(
    sender: TelegramSender, fake: FakeTelegram
) -> None:
    with pytest.raises(CallbackDataTooLong):
        await sender.send(outbound(buttons=(Button(title="x", payload="p" * 65),)))
    assert fake.calls == []


async def test_connect_talks_to_the_configured_api_base(
    fake: FakeTelegram, fake_app: ASGIApp
) -> None:
    async with serve_app(fake_app) as url:
        sender = TelegramSender.connect(fake.token, api_base=url + "/", request_timeout=2)
        try:
            delivery = await sender.send(outbound("через настоящий порт"))
        finally:
            await sender.close()
    assert delivery.channel_message_id == str(fake.sent_messages()[0].message_id)
    assert fake.calls[0].headers["user-agent"].startswith("dancebot")


async def test_wrong_token_is_rejected(fake: FakeTelegram, fake_app: ASGIApp) -> None:
    async with serve_app(fake_app) as url:
        sender = TelegramSender.connect("42:WRONG-token", api_base=url)
        try:
            with pytest.raises(ChannelRejected, match="Unauthorized"):
                await sender.send(outbound())
        finally:
            await sender.close()
    assert fake.calls[0].authorized is False
    assert fake.sent_messages() == []


async def test_nothing_listening_is_unavailable(fake: FakeTelegram, fake_app: ASGIApp) -> None:
    async with serve_app(fake_app) as url:
        pass  # the port is free again once the server stopped
    sender = TelegramSender.connect(fake.token, api_base=url, request_timeout=2)
    try:
        with pytest.raises(ChannelUnavailable):
            await sender.send(outbound())
    finally:
        await sender.close()
