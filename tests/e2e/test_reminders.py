"""S3 reminders on the virtual clock: 24 h and 2 h before the lesson, never for a cancelled
booking (in the chat or directly in the CRM)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.conftest import Bot

from dancebot.domain.messages import Channel
from dancebot.entrypoints.virtual_time import advance

LESSON = datetime.fromisoformat("2026-03-04T19:00:00+10:00")  # booked at Mon 10:00


async def _book(bot: Bot) -> None:
    await bot.say("Хочу на контемп в среду в 19")
    await bot.say("Мария +7 999 123-45-67")
    assert "вы записаны" in await bot.say_text("да")


async def _advance_to(bot: Bot, moment: datetime) -> list[str]:
    await advance(bot.services, bot.clock, moment - bot.clock.now())
    return [m.text for m in bot.outbox.drain()]


async def test_both_reminders_fire_on_time_and_once(bot: Bot) -> None:
    await _book(bot)
    assert await _advance_to(bot, LESSON - timedelta(hours=24, seconds=1)) == []
    day_before = await _advance_to(bot, LESSON - timedelta(hours=24))
    assert len(day_before) == 1 and "завтра в 19:00" in day_before[0]
    assert "Светланская" in day_before[0]
    assert await _advance_to(bot, LESSON - timedelta(hours=2, seconds=1)) == []
    two_hours = await _advance_to(bot, LESSON - timedelta(hours=2))
    assert len(two_hours) == 1 and "через 2 часа" in two_hours[0]
    assert await _advance_to(bot, LESSON + timedelta(days=1)) == []


async def test_a_cancelled_booking_sends_nothing(bot: Bot) -> None:
    await _book(bot)
    await bot.say("хочу отменить запись")
    assert "отменена" in await bot.say_text("да")
    assert await _advance_to(bot, LESSON) == []


async def test_a_booking_cancelled_in_the_crm_sends_nothing(bot: Bot) -> None:
    await _book(bot)
    emulator = bot.services.emulator
    assert emulator is not None
    state = emulator.snapshot()
    maria = next(c["id"] for c in state["client"] if c["phone"] == "79991234567")
    reservation = next(r for r in state["reservation"] if r["client"] == maria)
    emulator.delete("reservation", reservation["id"])  # the admin cancelled it in Impulse
    assert await _advance_to(bot, LESSON) == []


async def test_a_booking_made_within_a_day_gets_only_the_two_hour_reminder(bot: Bot) -> None:
    bot.clock.set(datetime.fromisoformat("2026-03-04T09:00:00+10:00"))
    await _book(bot)
    sent = await _advance_to(bot, LESSON)
    assert len(sent) == 1 and "через 2 часа" in sent[0]


async def test_whatsapp_reminders_go_as_templates(bot: Bot) -> None:
    bot.chat.channel = Channel.WHATSAPP
    bot.chat.chat_id = "79991234567"
    bot.chat.sender_phone = "+79991234567"
    await bot.say("Хочу на контемп в среду в 19")
    await bot.say("Мария")
    await bot.say("да")
    bot.outbox.drain()
    await advance(bot.services, bot.clock, LESSON - timedelta(hours=24) - bot.clock.now())
    [reminder] = bot.outbox.drain()
    assert reminder.template is not None and reminder.template.name == "lesson_reminder_24h"
    assert reminder.template.params == ("Мария", "19:00", "Contemporary, начинающие")
