"""The timeouts' due index kept by the session store (D66), on the real Redis and on the embedded
fakeredis: written with every save, rebuilt once when it is missing, corrected when stale."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis as sync_redis
import redis.asyncio as aioredis
from tests.conftest import REDIS_URL

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.sessions import SESSION_TTL_SECONDS, RedisSessionStore
from dancebot.dialogue.timeouts import CONFIRM_REPROMPT, SESSION_IDLE_RESET, TIMEOUT_POLICY
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import Session
from dancebot.ops.redis_backup import dump_keys, restore_keys
from dancebot.ports.storage import DuePolicy

MSK = timezone(timedelta(hours=3))
NOW = datetime(2025, 3, 10, 18, 30, tzinfo=MSK)
TG = Channel.TELEGRAM


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
def sessions(redis: aioredis.Redis, keys: RedisKeys) -> RedisSessionStore:
    return RedisSessionStore(redis, keys=keys, due=TIMEOUT_POLICY)


def _in(state: State, chat_id: str, *, since: datetime = NOW) -> Session:
    return Session(
        channel=TG,
        chat_id=chat_id,
        state=state,
        created_at=since,
        updated_at=since,
        state_since=since,
    )


async def test_a_saved_session_is_found_at_its_due_time_and_not_before(
    sessions: RedisSessionStore,
) -> None:
    await sessions.save(_in(State.CONFIRM_BOOKING, "1"))  # "Ещё актуально?" in an hour
    await sessions.save(_in(State.COLLECTING_DATETIME, "2"))  # reset after 24 h
    await sessions.save(_in(State.IDLE, "3"))  # nothing due

    assert await sessions.first_due_at() == NOW + CONFIRM_REPROMPT
    assert (
        await sessions.due_chats(NOW + CONFIRM_REPROMPT - timedelta(microseconds=1), limit=10) == []
    )
    assert await sessions.due_chats(NOW + CONFIRM_REPROMPT, limit=10) == [(TG, "1")]
    assert await sessions.due_chats(NOW + SESSION_IDLE_RESET, limit=10) == [(TG, "1"), (TG, "2")]
    assert await sessions.due_chats(NOW + SESSION_IDLE_RESET, limit=1) == [(TG, "1")]


async def test_saving_a_session_that_is_no_longer_due_removes_its_entry(
    sessions: RedisSessionStore,
) -> None:
    session = _in(State.CONFIRM_BOOKING, "1")
    await sessions.save(session)
    session.reset(now=NOW + timedelta(minutes=5))  # the client said "нет"

    await sessions.save(session)

    assert await sessions.first_due_at() is None
    assert await sessions.due_chats(NOW + timedelta(days=30), limit=10) == []


async def test_the_index_is_rebuilt_once_after_it_was_lost(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_in(State.CONFIRM_BOOKING, "1"))
    await sessions.save(_in(State.IDLE, "2"))
    await redis.delete(keys.timeouts_due())
    assert await sessions.first_due_at() is None  # lost: nothing would ever be found

    assert await sessions.ensure_due_index() == 1

    assert await sessions.due_chats(NOW + CONFIRM_REPROMPT, limit=10) == [(TG, "1")]
    assert await sessions.ensure_due_index() is None  # complete: no second scan


async def test_sessions_saved_before_the_index_existed_are_indexed_at_start(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    old = _in(State.BOOKING_IN_PROGRESS, "1")  # written by the version without the index
    await redis.set(keys.session(TG, "1"), old.model_dump_json(), ex=SESSION_TTL_SECONDS)

    assert await sessions.ensure_due_index() == 1

    assert await sessions.first_due_at() == TIMEOUT_POLICY.due_at(old)


async def test_a_new_policy_version_rebuilds_the_index(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_in(State.COLLECTING_DATETIME, "1"))
    assert await sessions.ensure_due_index() == 1
    sooner = DuePolicy(due_at=lambda session: session.updated_at + timedelta(hours=1), version=2)
    upgraded = RedisSessionStore(redis, keys=keys, due=sooner)

    assert await upgraded.ensure_due_index() == 1

    assert await upgraded.first_due_at() == NOW + timedelta(hours=1)
    marks = await redis.zrangebyscore(keys.timeouts_due(), "+inf", "+inf")
    assert marks == [b"~complete:v2"]  # the old version's mark is gone
    assert await upgraded.ensure_due_index() is None


async def test_a_restore_drops_the_index_and_the_next_start_rebuilds_it(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_in(State.CONFIRM_BOOKING, "1"))
    await sessions.ensure_due_index()
    backup = io.StringIO()
    await dump_keys(redis, prefix=keys.prefix, out=backup)
    await sessions.save(_in(State.COLLECTING_DATETIME, "2"))  # after the backup

    await restore_keys(redis, backup.getvalue().splitlines(), prefix=keys.prefix, clear=True)

    assert await redis.exists(keys.timeouts_due()) == 0
    assert await sessions.ensure_due_index() == 1
    assert await sessions.due_chats(NOW + timedelta(days=2), limit=10) == [(TG, "1")]


async def test_refresh_drops_the_entry_of_a_session_that_expired(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_in(State.CONFIRM_BOOKING, "1"))
    await redis.delete(keys.session(TG, "1"))  # its TTL ran out

    await sessions.refresh(TG, "1")

    assert await sessions.first_due_at() is None


async def test_refresh_corrects_a_stale_due_time(
    sessions: RedisSessionStore, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await sessions.save(_in(State.COLLECTING_DATETIME, "1"))
    await redis.zadd(keys.timeouts_due(), {"telegram:1": 0})  # e.g. an entry from a restore

    await sessions.refresh(TG, "1")

    assert await sessions.first_due_at() == NOW + SESSION_IDLE_RESET


async def test_a_chat_is_claimed_by_one_sweep_until_released(sessions: RedisSessionStore) -> None:
    token = await sessions.claim(TG, "1", ttl_seconds=60)
    assert token is not None
    assert await sessions.claim(TG, "1", ttl_seconds=60) is None
    assert await sessions.claim(TG, "2", ttl_seconds=60) is not None  # other chats are free

    await sessions.release(TG, "1", "not-the-owner")
    assert await sessions.claim(TG, "1", ttl_seconds=60) is None
    await sessions.release(TG, "1", token)
    assert await sessions.claim(TG, "1", ttl_seconds=60) is not None


@pytest.mark.redis
async def test_a_rebuild_does_not_overwrite_a_session_saved_meanwhile(
    real_redis: aioredis.Redis, keys: RedisKeys
) -> None:
    """The rebuild read the session, then the app saved a newer one before the rebuild wrote
    its entry: the entry follows the newer session (an older, later due time would hide it)."""
    writer = RedisSessionStore(real_redis, keys=keys, due=TIMEOUT_POLICY)
    await writer.save(_in(State.COLLECTING_DATETIME, "1"))  # due in 24 h
    await real_redis.delete(keys.timeouts_due())
    newer = _in(State.CONFIRM_BOOKING, "1")  # due in 1 h
    app = sync_redis.Redis.from_url(REDIS_URL)  # another process, between read and write
    saved_meanwhile: list[bool] = []

    def due_at_while_the_app_saves(session: Session) -> datetime | None:
        if not saved_meanwhile:
            saved_meanwhile.append(True)
            with app.pipeline(transaction=True) as pipe:
                pipe.set(keys.session(TG, "1"), newer.model_dump_json())
                pipe.zadd(keys.timeouts_due(), {"telegram:1": _micros(NOW + CONFIRM_REPROMPT)})
                pipe.execute()
        return TIMEOUT_POLICY.due_at(session)

    rebuilding = RedisSessionStore(
        real_redis, keys=keys, due=DuePolicy(due_at=due_at_while_the_app_saves, version=1)
    )
    try:
        await rebuilding.ensure_due_index()
    finally:
        app.close()

    assert saved_meanwhile
    assert await rebuilding.first_due_at() == NOW + CONFIRM_REPROMPT


def _micros(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
