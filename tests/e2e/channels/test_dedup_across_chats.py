"""Dedup identifies a delivery across chats (D19): Telegram numbers messages per chat, so
twenty new private chats all send a message #1 — and every one of them is answered — while a
redelivered update and a repeated edit are still answered once."""

from __future__ import annotations

import asyncio

from tests.e2e.channels.conftest import Stack

from dancebot.testing.fake_telegram.updates import edited_update, text_update

CHATS = [2_000_001 + n for n in range(20)]


async def test_twenty_chats_with_the_same_message_id_are_all_answered(stack: Stack) -> None:
    updates = [
        text_update(chat, "сколько стоит контемп", message_id=1, date=stack.clock.now())
        for chat in CHATS
    ]
    answers = await asyncio.gather(*(stack.post_telegram(u) for u in updates))
    assert [a.status_code for a in answers] == [200] * 20
    assert [a.json()["result"] for a in answers] == ["accepted"] * 20
    await stack.settle()
    for chat in CHATS:
        texts = [m.text for m in stack.telegram.sent_messages(chat)]
        assert len(texts) == 1 and "900 ₽" in texts[0], (chat, texts)


async def test_chat_b_message_7_is_not_lost_after_chat_a_message_7(stack: Stack) -> None:
    a, b = CHATS[0], CHATS[1]
    first = await stack.post_telegram(
        text_update(a, "привет", message_id=7, date=stack.clock.now())
    )
    second = await stack.post_telegram(
        text_update(b, "привет", message_id=7, date=stack.clock.now())
    )
    assert first.json()["result"] == second.json()["result"] == "accepted"
    await stack.settle()
    assert len(stack.telegram.sent_messages(a)) == 1
    assert len(stack.telegram.sent_messages(b)) == 1


async def test_a_redelivered_update_and_a_repeated_edit_are_answered_once(stack: Stack) -> None:
    chat = CHATS[2]
    update = text_update(chat, "сколько стоит контемп", message_id=3, date=stack.clock.now())
    results = [(await stack.post_telegram(update)).json()["result"] for _ in range(3)]
    assert results == ["accepted", "duplicate", "duplicate"]
    edit = edited_update(chat, "сколько стоит хай хилс", message_id=3, date=stack.clock.now())
    edits = [(await stack.post_telegram(edit)).json()["result"] for _ in range(2)]
    assert edits == ["accepted", "duplicate"]
    await stack.settle()
    assert len(stack.telegram.sent_messages(chat)) == 2
