"""The walking skeleton's conversation, end to end through the real pipeline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from tests.e2e.conftest import Bot

ADDRESS = "ул. Светланская, 87"


def _reservations(bot: Bot, *, phone_digits: str) -> list[dict]:
    assert bot.services.emulator is not None
    state = bot.services.emulator.snapshot()
    clients = {c["id"] for c in state["client"] if c.get("phone") == phone_digits}
    return [r for r in state["reservation"] if _id(r["client"]) in clients and not r.get("deleted")]


def _id(ref: object) -> int:
    return ref["id"] if isinstance(ref, dict) else int(ref)  # type: ignore[index,call-overload]


async def test_greeting_price_and_schedule(bot: Bot) -> None:
    assert "Здравствуйте" in await bot.say_text("Привет")
    price = await bot.say_text("сколько стоит контемп")
    assert "900 ₽" in price and "5600 ₽" in price
    schedule = await bot.say_text("расписание контемпа")
    assert "Contemporary" in schedule and "19:00" in schedule


async def test_booking_from_request_to_receipt(bot: Bot) -> None:
    offer = await bot.say("Хочу на контемп в среду вечером")
    assert "Как вас зовут" in offer[0].text and "19:00" in offer[0].text
    summary = await bot.say_text("Мария +7 999 123-45-67")
    assert "Мария" in summary and "+7 999 123-45-67" in summary and "Всё верно?" in summary
    assert await bot.services.deps.sessions.load(bot.chat.channel, "1001") is not None
    receipt = await bot.say_text("да")
    assert "вы записаны" in receipt and ADDRESS in receipt and "4 марта" in receipt
    booked = _reservations(bot, phone_digits="79991234567")
    assert len(booked) == 1
    assert _id(booked[0]["schedule"]) == 100


async def test_nearest_lessons_offered_as_buttons(bot: Bot) -> None:
    replies = await bot.say("Хочу записаться на контемп")
    titles = [b.title for b in replies[-1].buttons]
    assert len(titles) == 3 and titles[0].startswith("Пн 02.03")
    assert "Как вас зовут" in await bot.say_text(titles[1])


async def test_same_booking_twice_creates_one_reservation(bot: Bot) -> None:
    said = []
    for _ in range(2):
        said.append(await bot.say_text("Хочу на контемп в среду вечером"))
        said.append(await bot.say_text("Мария +7 999 123-45-67"))
        said.append(await bot.say_text("да"))
    assert "вы записаны" in said[2]
    # a returning client is known at once: told before any pointless summary
    assert "уже записаны" in said[3] and "Всё верно" not in said[3]
    assert len(_reservations(bot, phone_digits="79991234567")) == 1


async def test_every_message_and_attempt_is_in_the_database(bot: Bot) -> None:
    await bot.say("Хочу на контемп в среду вечером")
    await bot.say("Мария +7 999 123-45-67")
    await bot.say("да")
    async with bot.services.db.connect() as conn:
        directions = (
            (await conn.execute(text("select direction from messages where chat_id='1001'")))
            .scalars()
            .all()
        )
        attempts = (
            await conn.execute(
                text("select outcome, lesson_date, client_phone_masked from booking_attempts")
            )
        ).all()
    assert sorted(directions) == ["in"] * 3 + ["out"] * 3
    assert [(a[0], a[1]) for a in attempts] == [("created", date(2026, 3, 4))]
    assert attempts[0][2] == "+7999****567"


async def test_returning_client_is_not_asked_again(bot: Bot) -> None:
    await bot.say("Хочу на контемп в среду вечером")
    await bot.say("Мария +7 999 123-45-67")
    await bot.say("да")
    again = await bot.say_text("Хочу на контемп в пятницу")
    assert "Записываю: Мария" in again or "тот же номер" in again


async def test_non_text_gets_a_polite_answer(bot: Bot) -> None:
    from dancebot.domain.messages import MessageType

    await bot.services.pipeline.handle(bot.chat.non_text(MessageType.VOICE))
    assert "только текст" in bot.outbox.drain()[0].text


async def test_redelivered_message_is_answered_once(bot: Bot) -> None:
    message = bot.chat.message("Привет")
    assert await bot.services.pipeline.handle(message)
    assert await bot.services.pipeline.handle(message) == []
