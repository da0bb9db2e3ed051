"""The dead-letter table on the real PostgreSQL (and SQLite, the embedded default) and the
admin alert when more than ten are open, rate-limited in Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier
from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.queue.dead_letters import DeadLetterAlarm, DeadLetters
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Button, OutboundMessage

NewMessage = Callable[..., OutboundMessage]
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sqlite_sessionmaker(tmp_path: Path) -> AsyncIterator[Sessions]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_database(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def sessions(request: pytest.FixtureRequest) -> Sessions:
    maker: Sessions = request.getfixturevalue(f"{request.param}_sessionmaker")
    return maker


class FailingAdmin:
    """An admin chat that cannot be reached (Telegram down)."""

    def __init__(self) -> None:
        self.tries = 0

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        self.tries += 1
        raise ConnectionError("admin chat unreachable")


class RecordingOutbox:
    def __init__(self) -> None:
        self.put_messages: list[OutboundMessage] = []

    async def put(self, message: OutboundMessage) -> None:
        self.put_messages.append(message)


async def test_a_dead_letter_keeps_the_whole_message_and_masks_phones_in_the_error(
    sessions: Sessions, new_message: NewMessage
) -> None:
    dead_letters = DeadLetters(sessions, clock=VirtualClock(NOW))
    message = new_message("Выберите время", buttons=(Button(title="19:00", payload="t19"),))

    row_id = await dead_letters.add(
        message, error="rejected: chat +79991234567 not found", attempts=1
    )

    [letter] = await dead_letters.list_open()
    assert letter.id == row_id
    assert letter.message == message
    assert letter.error == "rejected: chat +7999****567 not found"
    assert (letter.attempts, letter.created_at) == (1, NOW)


async def test_resolving_closes_a_dead_letter_once(
    sessions: Sessions, new_message: NewMessage
) -> None:
    dead_letters = DeadLetters(sessions, clock=VirtualClock(NOW))
    first = await dead_letters.add(new_message(), error="unavailable", attempts=4)
    await dead_letters.add(new_message(), error="unavailable", attempts=4)

    assert await dead_letters.resolve(first) is True
    assert await dead_letters.resolve(first) is False
    assert await dead_letters.resolve(999_999) is False
    assert await dead_letters.open_count() == 1
    assert [letter.id for letter in await dead_letters.list_open()] == [first + 1]


async def test_requeue_sends_a_copy_under_a_new_id_and_resolves(
    sessions: Sessions, new_message: NewMessage
) -> None:
    dead_letters = DeadLetters(sessions, clock=VirtualClock(NOW))
    message = new_message()
    row_id = await dead_letters.add(message, error="unavailable", attempts=4)
    outbox = RecordingOutbox()

    again = await dead_letters.requeue(row_id, outbox=outbox)
    twice = await dead_letters.requeue(row_id, outbox=outbox)

    assert again is not None and twice is None
    assert outbox.put_messages == [again]
    assert again.id != message.id
    assert again.model_dump(exclude={"id"}) == message.model_dump(exclude={"id"})
    assert await dead_letters.open_count() == 0


async def test_list_open_gives_the_oldest_first_up_to_the_limit(
    sessions: Sessions, new_message: NewMessage
) -> None:
    dead_letters = DeadLetters(sessions, clock=VirtualClock(NOW))
    messages = [new_message(f"№{n}") for n in range(5)]
    for message in messages:
        await dead_letters.add(message, error="unavailable", attempts=4)

    letters = await dead_letters.list_open(limit=3)

    assert [letter.message.text for letter in letters] == ["№0", "№1", "№2"]


@pytest.mark.postgres
async def test_more_than_ten_open_alerts_the_admin_once(
    postgres_sessionmaker: Sessions,
    redis: aioredis.Redis,
    key_prefix: str,
    new_message: NewMessage,
) -> None:
    admin = ConsoleAdminNotifier()
    alarm = DeadLetterAlarm(redis, keys=RedisKeys(prefix=key_prefix), admin=admin)
    dead_letters = DeadLetters(postgres_sessionmaker, clock=VirtualClock(NOW), alarm=alarm)

    for _ in range(10):
        await dead_letters.add(new_message(), error="unavailable", attempts=4)
    assert admin.messages == []
    for _ in range(5):
        await dead_letters.add(new_message(), error="unavailable", attempts=4)

    assert len(admin.messages) == 1
    assert "11" in admin.messages[0]
    ttl = await redis.ttl(RedisKeys(prefix=key_prefix).dead_letter_alert())
    assert 3500 < ttl <= 3600


async def test_the_alert_repeats_after_its_interval(redis: aioredis.Redis, key_prefix: str) -> None:
    admin = ConsoleAdminNotifier()
    alarm = DeadLetterAlarm(
        redis, keys=RedisKeys(prefix=key_prefix), admin=admin, every=timedelta(seconds=1)
    )

    assert await alarm.check(11) is True
    assert await alarm.check(12) is False
    await asyncio.sleep(1.1)  # the interval passes (here a second, in production an hour)
    assert await alarm.check(13) is True
    assert len(admin.messages) == 2


async def test_a_failed_alert_does_not_lose_the_dead_letter_and_is_tried_again(
    redis: aioredis.Redis, key_prefix: str
) -> None:
    admin = FailingAdmin()
    alarm = DeadLetterAlarm(redis, keys=RedisKeys(prefix=key_prefix), admin=admin)

    assert await alarm.check(11) is False
    assert await alarm.check(12) is False

    assert admin.tries == 2  # the failed one did not use up the hour
