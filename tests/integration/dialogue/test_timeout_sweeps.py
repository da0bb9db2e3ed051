"""The timeout sweeper over the real session store and its due index (D66), on the real Redis and
the embedded fakeredis: it reads only the sessions that are due, corrects stale entries, and two
sweeps never act on one session twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from tests.redis_server import own_redis

from dancebot.adapters.channels.console.channel import ConsoleAdminNotifier, ConsoleOutbox
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.crm.impulse.settings import EMBEDDED_BASE_URL, ImpulseSettings
from dancebot.adapters.storage.fallback import RedisFallbackQueue
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.sessions import RedisSessionStore
from dancebot.dialogue.timeouts import CONFIRM_REPROMPT, TIMEOUT_POLICY, TimeoutSweeper
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import OfferedLesson, Session

SEED = Path(__file__).parents[2] / "fixtures" / "seeds" / "design_example.yaml"
TZ = ZoneInfo("Asia/Vladivostok")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=TZ)
TG = Channel.TELEGRAM
API_KEY = "test-key"


class CountingSessions:
    """The ``SessionStore`` port over the real store, recording which sessions were read."""

    def __init__(self, store: RedisSessionStore) -> None:
        self._store = store
        self.loaded: list[tuple[Channel, str]] = []

    async def load(self, channel: Channel, chat_id: str) -> Session | None:
        self.loaded.append((channel, chat_id))
        return await self._store.load(channel, chat_id)

    async def save(self, session: Session) -> None:
        await self._store.save(session)

    async def delete(self, channel: Channel, chat_id: str) -> None:
        await self._store.delete(channel, chat_id)


class Rig:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys, crm: ImpulseClient) -> None:
        self.store = RedisSessionStore(redis, keys=keys, due=TIMEOUT_POLICY)
        self.counted = CountingSessions(self.store)
        self.outbox = ConsoleOutbox()
        self.admin = ConsoleAdminNotifier()
        self.fallback = RedisFallbackQueue(redis, keys=keys)
        self._crm = crm

    def sweeper(self) -> TimeoutSweeper:
        """A sweeper as one worker process has it (all of them share the store)."""
        return TimeoutSweeper(
            self.counted,
            index=self.store,
            outbox=self.outbox,
            admin=self.admin,
            crm=self._crm,
            fallback=self.fallback,
        )


@pytest.fixture
async def crm() -> AsyncIterator[ImpulseClient]:
    """The real client and the Impulse emulator in process (for the stuck-booking check)."""
    emulator = EmulatorState.from_seed_file(SEED, now=lambda: NOW)
    app = create_emulator_app(emulator, api_key=API_KEY, api_path="/api/public")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=EMBEDDED_BASE_URL
    ) as http:
        yield ImpulseClient(
            http=http,
            settings=ImpulseSettings(api_key=API_KEY, retry_wait=0, retry_wait_max=0),
            tz=TZ,
            now=lambda: NOW,
        )


@pytest.fixture
def rig(redis: aioredis.Redis, key_prefix: str, crm: ImpulseClient) -> Rig:
    return Rig(redis, RedisKeys(prefix=key_prefix), crm)


def _in(state: State, chat_id: str, *, since: datetime) -> Session:
    return Session(
        channel=TG,
        chat_id=chat_id,
        state=state,
        created_at=since,
        updated_at=since,
        state_since=since,
    )


def _stuck_booking(chat_id: str) -> Session:
    """Mid-booking when the process died: the CRM call never answered."""
    session = _in(State.BOOKING_IN_PROGRESS, chat_id, since=NOW - timedelta(minutes=5))
    session.slots.lesson = OfferedLesson(
        schedule_id=100,
        date=date(2026, 3, 11),
        start=datetime(2026, 3, 11, 19, 0, tzinfo=TZ),
        label="Contemporary, начинающие — среда, 11 марта, 19:00",
    )
    session.slots.client_name = "Ольга"
    session.slots.client_phone = "+79990001122"
    return session


async def test_a_sweep_reads_only_the_due_session_among_many_idle_ones(rig: Rig) -> None:
    for n in range(300):
        await rig.store.save(_in(State.IDLE, f"idle{n}", since=NOW - timedelta(hours=3)))
        await rig.store.save(_in(State.COLLECTING_DATETIME, f"talking{n}", since=NOW))
    await rig.store.save(_in(State.CONFIRM_BOOKING, "due", since=NOW - timedelta(hours=2)))
    sweeper = rig.sweeper()

    assert await sweeper.next_due_at() == NOW - timedelta(hours=2) + CONFIRM_REPROMPT
    assert await sweeper.run_due(NOW) == 1

    assert rig.counted.loaded == [(TG, "due")]
    assert [m.chat_id for m in rig.outbox.drain()] == ["due"]  # "Ещё актуально?"
    assert await sweeper.run_due(NOW) == 0  # nudged: the next timeout is the reset at 3 h
    assert rig.counted.loaded == [(TG, "due")]


async def test_a_stale_entry_of_an_expired_session_is_dropped(
    rig: Rig, redis: aioredis.Redis, key_prefix: str
) -> None:
    await rig.store.save(_in(State.CONFIRM_BOOKING, "gone", since=NOW - timedelta(hours=2)))
    await redis.delete(RedisKeys(prefix=key_prefix).session(TG, "gone"))  # its TTL ran out
    sweeper = rig.sweeper()

    assert await sweeper.run_due(NOW) == 0

    assert rig.outbox.drain() == []
    assert await sweeper.next_due_at() is None  # the index does not keep it


async def test_an_entry_earlier_than_its_session_says_is_moved_not_acted_on(
    rig: Rig, redis: aioredis.Redis, key_prefix: str
) -> None:
    await rig.store.save(_in(State.COLLECTING_DATETIME, "1", since=NOW))
    await redis.zadd(RedisKeys(prefix=key_prefix).timeouts_due(), {"telegram:1": 0})
    sweeper = rig.sweeper()

    assert await sweeper.run_due(NOW) == 0

    assert rig.outbox.drain() == []
    assert await sweeper.next_due_at() == NOW + timedelta(hours=24)
    session = await rig.store.load(TG, "1")
    assert session is not None and session.state == State.COLLECTING_DATETIME


async def test_two_sweeps_at_once_settle_a_stuck_booking_once(rig: Rig) -> None:
    await rig.store.save(_stuck_booking("1"))
    first, second = rig.sweeper(), rig.sweeper()

    changed = await asyncio.gather(first.run_due(NOW), second.run_due(NOW))

    assert sorted(changed) == [0, 1]
    assert await rig.fallback.size() == 1  # one request queued for the admin, not two
    assert len(rig.outbox.drain()) == 1
    session = await rig.store.load(TG, "1")
    assert session is not None and session.state == State.IDLE


async def test_a_chat_another_sweep_holds_is_left_to_it(rig: Rig) -> None:
    await rig.store.save(_in(State.CONFIRM_BOOKING, "1", since=NOW - timedelta(hours=2)))
    token = await rig.store.claim(TG, "1", ttl_seconds=60)  # another worker is on it
    assert token is not None
    sweeper = rig.sweeper()

    assert await sweeper.run_due(NOW) == 0
    assert rig.outbox.drain() == []

    await rig.store.release(TG, "1", token)  # it died without acting: the entry is still due
    assert await sweeper.run_due(NOW) == 1
    assert len(rig.outbox.drain()) == 1


async def test_more_due_sessions_than_one_batch_are_all_settled(rig: Rig) -> None:
    for n in range(250):  # two and a half batches
        await rig.store.save(_in(State.BOOKING_DONE, str(n), since=NOW - timedelta(minutes=1)))

    assert await rig.sweeper().run_due(NOW) == 250

    assert len(set(rig.counted.loaded)) == len(rig.counted.loaded) == 250
    assert await rig.store.first_due_at() is None  # all idle now


@pytest.mark.redis
async def test_a_sweep_among_thousands_of_sessions_costs_a_few_redis_commands(
    tmp_path: Path, key_prefix: str, crm: ImpulseClient
) -> None:
    """Counted by a Redis of the test's own (INFO commandstats): with 5,000 sessions the scan
    took 50 SCAN + 50 MGET per sweep and parsed every session; the index takes one read."""
    async with own_redis(tmp_path / "redis") as server:
        redis = aioredis.from_url(server.url)
        keys = RedisKeys(prefix=key_prefix)
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(5000):
                idle = _in(State.IDLE, str(n), since=NOW - timedelta(hours=1))
                pipe.set(keys.session(TG, str(n)), idle.model_dump_json())
            await pipe.execute()
        rig = Rig(redis, keys, crm)
        await rig.store.save(_in(State.CONFIRM_BOOKING, "due", since=NOW - timedelta(hours=2)))
        assert await rig.store.ensure_due_index() == 1  # the 5,000 written as before the index
        sweeper = rig.sweeper()

        nothing_due = await _commands(redis, sweeper.run_due(NOW - timedelta(hours=2)))
        one_due = await _commands(redis, sweeper.run_due(NOW))
        await redis.aclose()

    assert nothing_due == {"zrangebyscore": 1}
    assert rig.counted.loaded == [(TG, "due")]
    assert "scan" not in one_due and "mget" not in one_due
    assert sum(one_due.values()) <= 12  # the page, claim, read, save (MULTI), release


async def _commands(redis: aioredis.Redis, call: Awaitable[int]) -> dict[str, int]:
    await redis.config_resetstat()
    await call
    stats = await redis.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): row["calls"]
        for name, row in stats.items()
        if not name.startswith("cmdstat_config")
    }
