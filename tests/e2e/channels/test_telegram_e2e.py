"""Telegram end to end: signed webhook → durable stream → engine → emulator → queue →
worker → the fake Bot API."""

from __future__ import annotations

import asyncio

from tests.e2e.channels.conftest import Stack, reservations_of

from dancebot.testing.fake_telegram.updates import text_update

CHAT = 1001


async def _say(stack: Stack, text: str, message_id: int) -> None:
    update = text_update(CHAT, text, message_id=message_id, date=stack.clock.now())
    answer = await stack.post_telegram(update)
    assert answer.status_code == 200, answer.text
    await stack.settle()


def _texts(stack: Stack) -> list[str]:
    return [m.text for m in stack.telegram.sent_messages(CHAT)]


async def test_a_signed_update_books_and_the_receipt_reaches_telegram(stack: Stack) -> None:
    await _say(stack, "Хочу на контемп в среду в 19", 1)
    await _say(stack, "Мария +7 999 123-45-67", 2)
    assert "Всё верно?" in _texts(stack)[-1]
    assert stack.telegram.sent_messages(CHAT)[-1].titles == ("Да", "Нет")
    await _say(stack, "да", 3)
    receipt = _texts(stack)[-1]
    assert "вы записаны" in receipt and "Светланская" in receipt
    assert len(reservations_of(stack.emulator, "79991234567")) == 1


async def test_a_wrong_or_missing_secret_is_rejected_and_nothing_is_processed(stack: Stack) -> None:
    update = text_update(CHAT, "Привет", message_id=1, date=stack.clock.now())
    assert (await stack.post_telegram(update, secret=None)).status_code == 401
    assert (await stack.post_telegram(update, secret="wrong")).status_code == 403
    assert (
        await stack.redis.exists(stack.keys.inbound_stream()) == 0
        or await stack.redis.xlen(stack.keys.inbound_stream()) == 0
    )
    await stack.settle()
    assert stack.telegram.sent_messages(CHAT) == []


async def test_a_malformed_body_gets_400_not_500(stack: Stack) -> None:
    answer = await stack.post_telegram({"update_id": "x", "message": 5})
    assert answer.status_code == 400
    raw = await stack.http.post(
        f"{stack.url}/webhook/telegram",
        content=b"{nope",
        headers={"X-Telegram-Bot-Api-Secret-Token": "tg-webhook-secret"},
    )
    assert raw.status_code == 400


async def test_a_replayed_old_message_is_dropped(stack: Stack) -> None:
    old = text_update(CHAT, "Привет", message_id=7, date=stack.clock.now().timestamp() - 600)
    answer = await stack.post_telegram(old)
    assert answer.status_code == 200 and answer.json()["result"] == "replay"
    await stack.settle()
    assert stack.telegram.sent_messages(CHAT) == []


async def test_the_same_update_twenty_times_concurrently_is_processed_once(stack: Stack) -> None:
    update = text_update(CHAT, "сколько стоит контемп", message_id=42, date=stack.clock.now())
    answers = await asyncio.gather(*(stack.post_telegram(update) for _ in range(20)))
    results = [a.json()["result"] for a in answers]
    assert results.count("accepted") == 1 and results.count("duplicate") == 19
    await stack.settle()
    assert len(_texts(stack)) == 1 and "900 ₽" in _texts(stack)[0]


async def test_a_button_press_is_answered_and_acknowledged(stack: Stack) -> None:
    from dancebot.testing.fake_telegram.updates import callback_update

    await _say(stack, "Хочу записаться на контемп", 1)
    offered = stack.telegram.sent_messages(CHAT)[-1]
    assert len(offered.buttons) == 3
    _title, payload = offered.buttons[1]
    press = callback_update(CHAT, payload, message_id=offered.message_id)
    assert (await stack.post_telegram(press)).status_code == 200
    await stack.settle()
    assert "Как вас зовут" in _texts(stack)[-1]
    assert len(stack.telegram.answered_callbacks()) == 1
