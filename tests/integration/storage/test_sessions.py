"""Sessions, profiles and idempotency locks, each test run on the real Redis and on the
embedded fakeredis, so the two cannot drift apart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from dancebot.adapters.storage.idempotency import RedisIdempotencyGuard, booking_fingerprint
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.profiles import RedisProfileStore
from dancebot.adapters.storage.sessions import RedisSessionStore
from dancebot.dialogue.timeouts import TIMEOUT_POLICY
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import OfferedLesson, Session
from dancebot.ports.storage import ClientProfile

MSK = timezone(timedelta(hours=3))
NOW = datetime(2025, 3, 10, 18, 30, tzinfo=MSK)
DAY = 24 * 3600


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
def sessions(redis: aioredis.Redis, keys: RedisKeys) -> RedisSessionStore:
    return RedisSessionStore(redis, keys=keys, due=TIMEOUT_POLICY)


def _booking_session(chat_id: str) -> Session:
    session = Session.start(Channel.TELEGRAM, chat_id, now=NOW)
    lesson = OfferedLesson(
        schedule_id=42,
        date=date(2025, 3, 14),
        start=datetime(2025, 3, 14, 19, 0, tzinfo=MSK),
        label="Пт 14.03 19:00 Бачата",
    )
    session.move_to(State.COLLECTING_CONTACT, now=NOW + timedelta(minutes=1))
    session.slots.service_id = "bachata"
    session.slots.offered = [lesson]
    session.slots.lesson = lesson
    session.slots.client_name = "Анна"
    session.remember("user", "Хочу на бачату в пятницу", now=NOW)
    session.remember("bot", "Как вас зовут?", now=NOW + timedelta(seconds=2))
    return session


async def test_session_round_trip_keeps_state_slots_and_history(
    sessions: RedisSessionStore,
) -> None:
    saved = _booking_session("1001")
    await sessions.save(saved)

    loaded = await sessions.load(Channel.TELEGRAM, "1001")

    assert loaded == saved
    assert loaded is not None
    assert loaded.state is State.COLLECTING_CONTACT
    assert loaded.history[1].at == NOW + timedelta(seconds=2)
    assert loaded.history[1].at.utcoffset() == timedelta(hours=3)
    assert loaded.slots.lesson is not None
    assert loaded.slots.lesson.date == date(2025, 3, 14)


async def test_missing_session_loads_as_none(sessions: RedisSessionStore) -> None:
    assert await sessions.load(Channel.WHATSAPP, "79990000000") is None


async def test_save_sets_a_24_hour_ttl(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_booking_session("1002"))

    ttl = await redis.ttl(keys.session(Channel.TELEGRAM, "1002"))

    assert DAY - 5 <= ttl <= DAY


async def test_index_rebuild_reads_every_session_and_skips_a_corrupt_one(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    chat_ids = {str(n) for n in range(450)}  # more than one SCAN page
    for chat_id in chat_ids:
        await sessions.save(_booking_session(chat_id))
    await redis.set(keys.session(Channel.TELEGRAM, "broken"), b'{"channel": "telegram", "chat')
    other_deployment = RedisSessionStore(
        redis, keys=RedisKeys(prefix=f"{keys.prefix}:other"), due=TIMEOUT_POLICY
    )
    await other_deployment.save(_booking_session("elsewhere"))
    await redis.delete(keys.timeouts_due())

    with capture_logs() as logs:
        indexed = await sessions.ensure_due_index()

    due = await sessions.due_chats(NOW + timedelta(days=2), limit=1000)
    assert indexed == len(chat_ids)
    assert {chat_id for _, chat_id in due} == chat_ids
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "session_unreadable_skipped"
    ]


async def test_corrupt_session_loads_as_none(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await redis.set(keys.session(Channel.WHATSAPP, "79991234567"), b"not json")

    with capture_logs() as logs:
        loaded = await sessions.load(Channel.WHATSAPP, "79991234567")

    assert loaded is None
    # A WhatsApp chat id is a phone number: the log line must not show it whole.
    assert "79991234567" not in str(logs)
    assert "+7999****567" in logs[0]["key"]


async def test_delete_removes_the_session(sessions: RedisSessionStore) -> None:
    await sessions.save(_booking_session("1003"))

    await sessions.delete(Channel.TELEGRAM, "1003")

    assert await sessions.load(Channel.TELEGRAM, "1003") is None
    assert await sessions.first_due_at() is None  # nor is its timeout


async def test_profile_round_trip_with_a_90_day_ttl(redis: aioredis.Redis, keys: RedisKeys) -> None:
    profiles = RedisProfileStore(redis, keys=keys)
    profile = ClientProfile(name="Анна", phone="+79991234567", updated_at=NOW)

    assert await profiles.load_profile(Channel.TELEGRAM, "1001") is None
    await profiles.save_profile(Channel.TELEGRAM, "1001", profile)

    assert await profiles.load_profile(Channel.TELEGRAM, "1001") == profile
    ttl = await redis.ttl(keys.profile(Channel.TELEGRAM, "1001"))
    assert 90 * DAY - 5 <= ttl <= 90 * DAY


async def test_idempotency_lock_is_taken_once_until_released(
    redis: aioredis.Redis, keys: RedisKeys
) -> None:
    guard = RedisIdempotencyGuard(redis, keys=keys)
    fingerprint = booking_fingerprint("+79991234567", 42, date(2025, 3, 14))

    assert await guard.acquire(fingerprint, ttl_seconds=600) is True
    assert await guard.acquire(fingerprint, ttl_seconds=600) is False
    assert 595 <= await redis.ttl(keys.idempotency(fingerprint)) <= 600

    await guard.release(fingerprint)

    assert await guard.acquire(fingerprint, ttl_seconds=600) is True


async def test_concurrent_attempts_get_exactly_one_lock(
    redis: aioredis.Redis, keys: RedisKeys
) -> None:
    guard = RedisIdempotencyGuard(redis, keys=keys)
    fingerprint = booking_fingerprint("+79991234567", 42, date(2025, 3, 14))

    results = await asyncio.gather(*(guard.acquire(fingerprint, ttl_seconds=60) for _ in range(20)))

    assert results.count(True) == 1


async def test_same_weekly_class_on_two_dates_takes_two_locks(
    redis: aioredis.Redis, keys: RedisKeys
) -> None:
    guard = RedisIdempotencyGuard(redis, keys=keys)
    this_week = booking_fingerprint("+79991234567", 42, date(2025, 3, 14))
    next_week = booking_fingerprint("+79991234567", 42, date(2025, 3, 21))

    assert await guard.acquire(this_week, ttl_seconds=600) is True
    assert await guard.acquire(next_week, ttl_seconds=600) is True
