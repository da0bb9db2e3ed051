"""A message that arrives while the chat is busy (a booking waiting for the CRM) is held and
handled after, in order — never in parallel (RFC §7.2, CC-13)."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import Bot


async def test_message_during_booking_is_handled_after_it(bot: Bot) -> None:
    await bot.say("Хочу на контемп в среду в 19")
    await bot.say("Мария +7 999 123-45-67")
    assert bot.services.emulator is not None
    bot.services.emulator.set_fault("slow", 0.5)  # the CRM takes half a second per call
    confirm = asyncio.create_task(bot.services.pipeline.handle(bot.chat.message("да")))
    await asyncio.sleep(0.1)  # the booking is now in progress
    question = await bot.services.pipeline.handle(bot.chat.message("а сколько стоит контемп?"))
    assert question == []  # held: the chat is busy
    handled = await confirm
    bot.services.emulator.set_fault("none")
    texts = [m.text for m in handled]
    assert len(texts) == 2
    assert "вы записаны" in texts[0] and "900 ₽" in texts[1]


async def test_twenty_concurrent_messages_of_one_chat_are_handled_one_at_a_time(bot: Bot) -> None:
    messages = [bot.chat.message(f"сколько стоит {s}") for s in ["контемп", "хип-хоп"] * 10]
    results = await asyncio.gather(*(bot.services.pipeline.handle(m) for m in messages))
    replies = [r.text for batch in results for r in batch]
    assert len(replies) == 20
    assert sum("Contemporary" in t for t in replies) == 10
    session = await bot.services.deps.sessions.load(bot.chat.channel, bot.chat.chat_id)
    assert session is not None
    turns = session.history  # never interleaved: every question is followed by its answer
    for asked, answered in zip(turns[::2], turns[1::2], strict=True):
        assert (asked.role, answered.role) == ("user", "bot")
        assert ("контемп" in asked.text) == ("Contemporary" in answered.text)
