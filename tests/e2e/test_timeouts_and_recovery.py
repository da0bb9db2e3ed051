"""FSM timeouts on the virtual clock, and session recovery at start, on real Redis."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis
from tests.conftest import REDIS_URL
from tests.e2e.conftest import Bot

from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.virtual_time import advance


async def _to_confirm(bot: Bot) -> None:
    await bot.say("Хочу на контемп в среду в 19")
    assert "Всё верно?" in await bot.say_text("Мария +7 999 123-45-67")


async def _state(bot: Bot) -> State:
    session = await bot.services.deps.sessions.load(Channel.TELEGRAM, "1001")
    assert session is not None
    return session.state


async def test_confirm_is_reprompted_after_an_hour_and_dropped_after_three(bot: Bot) -> None:
    await _to_confirm(bot)
    await advance(bot.services, bot.clock, timedelta(minutes=59))
    assert bot.outbox.drain() == []
    await advance(bot.services, bot.clock, timedelta(minutes=2))
    assert "актуальна" in bot.outbox.drain()[0].text
    assert await _state(bot) == State.CONFIRM_BOOKING
    await advance(bot.services, bot.clock, timedelta(hours=2))
    notice = bot.outbox.drain()
    assert len(notice) == 1 and "подтверждения" in notice[0].text
    assert await _state(bot) == State.IDLE


async def test_a_long_jump_fires_both_timeouts_in_order(bot: Bot) -> None:
    await _to_confirm(bot)
    await advance(bot.services, bot.clock, timedelta(hours=47))
    texts = [m.text for m in bot.outbox.drain()]
    assert len(texts) == 2 and "актуальна" in texts[0] and "подтверждения" in texts[1]


async def test_any_state_resets_silently_after_24_hours(bot: Bot) -> None:
    await bot.say("Хочу на контемп")
    assert await _state(bot) == State.COLLECTING_DATETIME
    await advance(bot.services, bot.clock, timedelta(hours=23))
    assert await _state(bot) == State.COLLECTING_DATETIME
    await advance(bot.services, bot.clock, timedelta(hours=2))
    assert await _state(bot) == State.IDLE and bot.outbox.drain() == []


async def test_handoff_alerts_again_at_two_hours_and_gives_up_at_four(bot: Bot) -> None:
    assert "Передаю администратору" in await bot.say_text("позовите администратора")
    assert any("Эскалация" in m for m in bot.admin.drain())
    assert await bot.say("а когда ответят?") == []  # relayed, the bot is silent
    assert any("когда ответят" in m for m in bot.admin.drain())
    await advance(bot.services, bot.clock, timedelta(hours=2, minutes=1))
    assert any("2 часа" in m for m in bot.admin.drain())
    await advance(bot.services, bot.clock, timedelta(hours=2))
    assert "ответит вам позже" in bot.outbox.drain()[0].text
    assert await _state(bot) == State.IDLE


async def test_recovery_finds_a_booking_that_went_through(bot: Bot) -> None:
    await _to_confirm(bot)
    session = await bot.services.deps.sessions.load(Channel.TELEGRAM, "1001")
    assert session is not None
    await bot.say("да")  # booked for real
    session.move_to(State.BOOKING_IN_PROGRESS, now=bot.clock.now())  # as if we died mid-way
    await bot.services.deps.sessions.save(session)
    bot.outbox.drain()
    bot.clock.advance(timedelta(minutes=5))  # the process was down for five minutes
    assert await bot.services.timeouts.run_due(bot.clock.now()) == 1
    assert "запись прошла" in bot.outbox.drain()[0].text
    assert bot.admin.drain() == []
    assert await _state(bot) == State.IDLE


async def test_recovery_tells_the_admin_when_the_booking_did_not_happen(bot: Bot) -> None:
    await _to_confirm(bot)
    session = await bot.services.deps.sessions.load(Channel.TELEGRAM, "1001")
    assert session is not None
    session.move_to(State.BOOKING_IN_PROGRESS, now=bot.clock.now())
    await bot.services.deps.sessions.save(session)
    bot.clock.advance(timedelta(minutes=5))
    await bot.services.timeouts.run_due(bot.clock.now())
    assert "администратору" in bot.outbox.drain()[0].text
    assert any("Заявка #1" in m for m in bot.admin.drain())  # it waits in the fallback queue
    assert await bot.services.fallback_queue_size() == 1


async def test_start_up_indexes_sessions_saved_before_the_due_index_and_recovers_them(
    bot: Bot,
) -> None:
    """An upgrade: the previous version stored sessions without the due index. The next
    start builds the index with one scan and its recovery settles the stuck booking."""
    await _to_confirm(bot)
    session = await bot.services.deps.sessions.load(Channel.TELEGRAM, "1001")
    assert session is not None
    session.move_to(State.BOOKING_IN_PROGRESS, now=bot.clock.now())
    keys, redis = bot.services.keys, bot.services.redis
    await redis.set(keys.session(Channel.TELEGRAM, "1001"), session.model_dump_json(), ex=3600)
    await redis.delete(keys.timeouts_due())  # as the previous version left Redis
    assert await bot.services.timeouts.next_due_at() is None
    bot.outbox.drain()
    bot.clock.advance(timedelta(minutes=5))

    restarted = aioredis.from_url(REDIS_URL)
    async with build_services(
        bot.services.settings,
        clock=bot.clock,
        outbox=bot.outbox,
        admin=bot.admin,
        keys=keys,
        redis=restarted,
    ) as after_upgrade:
        assert "администратору" in bot.outbox.drain()[0].text  # settled at start
        assert await after_upgrade.fallback_queue_size() == 1
        assert await _state(bot) == State.IDLE
        assert await after_upgrade.timeouts.next_due_at() is None
