"""The schedule cache in front of the emulator, against real Redis and fakeredis alike:
served without HTTP while fresh by the virtual clock, gone after its TTL, a day's counts
orphaned by a booking on that day (only that day: D60), and never a reason for a CRM call to
fail."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import fakeredis
import pytest
import redis.asyncio as aioredis

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.impulse.cache import ScheduleCache
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.crm.impulse.models import date_to_unix
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import LessonRef
from dancebot.domain.errors import CrmServerError

WEEK = {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 15)}
NEXT_WED = date(2026, 3, 11)


@pytest.fixture
async def fake_redis() -> AsyncIterator[aioredis.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    yield fake
    await fake.aclose()


@pytest.fixture(params=[pytest.param("real_redis", marks=pytest.mark.redis), "fake_redis"])
def cache_redis(request: pytest.FixtureRequest) -> aioredis.Redis:
    """The same tests against the real Redis and fakeredis (the embedded default)."""
    redis: aioredis.Redis = request.getfixturevalue(request.param)
    return redis


@pytest.fixture
def cache(cache_redis: aioredis.Redis, key_prefix: str) -> ScheduleCache:
    return ScheduleCache(cache_redis, keys=RedisKeys(prefix=key_prefix))


@pytest.fixture
def cached_client(make_client: Callable[..., ImpulseClient], cache: ScheduleCache) -> ImpulseClient:
    return make_client(cache=cache)


async def test_second_schedule_is_served_without_http(
    cached_client: ImpulseClient, crm_wire: Any
) -> None:
    first = await cached_client.get_schedule(**WEEK)
    sent = len(crm_wire.calls)

    second = await cached_client.get_schedule(**WEEK)

    assert len(crm_wire.calls) == sent
    assert second == first
    assert second[0].start.tzinfo == ZoneInfo("Asia/Vladivostok")
    # days already counted are not read again, whatever range asks for them
    other_range = await cached_client.get_schedule(date_from=WEEK["date_from"], date_to=NEXT_WED)
    assert len(crm_wire.calls) == sent
    assert len(other_range) == 2


async def test_schedule_expires_after_15_virtual_minutes(
    cached_client: ImpulseClient, crm_wire: Any, clock: VirtualClock
) -> None:
    await cached_client.get_schedule(**WEEK)
    clock.advance(timedelta(minutes=14, seconds=59))
    await cached_client.get_schedule(**WEEK)
    assert crm_wire.count("schedule/list") == 1

    clock.advance(timedelta(seconds=1))
    await cached_client.get_schedule(**WEEK)

    assert crm_wire.count("schedule/list") == 2


async def test_rules_rewritten_in_the_cache_are_read_again(
    cached_client: ImpulseClient, cache: ScheduleCache, clock: VirtualClock
) -> None:
    """The client keeps the lessons it derived from the rules only while the cache holds the
    very entry they came from: another process storing other rules is seen at once."""
    first = await cached_client.get_schedule(**WEEK)
    rules = await cache.get_rules(now=clock.now())
    assert rules is not None and first

    later = [{**r, "minutesBegin": r["minutesBegin"] + 15} for r in rules]
    await cache.put_rules(later, now=clock.now())
    second = await cached_client.get_schedule(**WEEK)

    assert [lesson.start - timedelta(minutes=15) for lesson in second] == [
        lesson.start for lesson in first
    ]


async def test_a_booking_invalidates_the_schedule(
    cached_client: ImpulseClient, crm_wire: Any
) -> None:
    before = await cached_client.get_schedule(**WEEK)
    assert [lesson.free_places for lesson in before] == [11, 12]

    await cached_client.create_booking(
        client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED)
    )
    after = await cached_client.get_schedule(**WEEK)

    assert [lesson.free_places for lesson in after] == [11, 11]
    # the rules stay cached; the reservations are read again for the booked day only
    assert crm_wire.count("schedule/list") == 1
    assert crm_wire.count("reservation/list") == 2
    assert crm_wire.bodies("reservation/list")[-1]["columns"]["date"] == {
        "from": date_to_unix(NEXT_WED),
        "to": date_to_unix(NEXT_WED),
    }


async def test_a_booking_leaves_other_days_cached(
    cached_client: ImpulseClient, crm_wire: Any
) -> None:
    await cached_client.get_schedule(**WEEK)
    await cached_client.create_booking(
        client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED)
    )
    reads = crm_wire.count("reservation/list")

    await cached_client.get_schedule(date_from=WEEK["date_from"], date_to=date(2026, 3, 10))

    assert crm_wire.count("reservation/list") == reads


async def test_a_cancellation_invalidates_the_schedule(cached_client: ImpulseClient) -> None:
    assert [lesson.free_places for lesson in await cached_client.get_schedule(**WEEK)] == [11, 12]

    await cached_client.cancel_booking(9000)

    assert [lesson.free_places for lesson in await cached_client.get_schedule(**WEEK)] == [12, 12]


async def test_a_failed_create_that_may_have_applied_invalidates_too(
    cached_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    await cached_client.get_schedule(**WEEK)
    emulator_state.set_fault("down")
    with pytest.raises(CrmServerError):
        await cached_client.create_booking(
            client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED)
        )
    emulator_state.set_fault("none")

    await cached_client.get_schedule(**WEEK)

    assert crm_wire.bodies("reservation/list")[-1]["columns"]["date"] == {
        "from": date_to_unix(NEXT_WED),
        "to": date_to_unix(NEXT_WED),
    }


async def test_groups_are_kept_an_hour(
    cached_client: ImpulseClient, crm_wire: Any, clock: VirtualClock
) -> None:
    first = await cached_client.get_groups()
    clock.advance(timedelta(minutes=59))
    assert await cached_client.get_groups() == first
    assert crm_wire.count("group/list") == 1

    clock.advance(timedelta(minutes=1))

    assert await cached_client.get_groups() == first
    assert crm_wire.count("group/list") == 2


async def test_a_redis_outage_does_not_fail_the_crm_call(
    make_client: Callable[..., ImpulseClient], crm_wire: Any
) -> None:
    dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    client = make_client(cache=ScheduleCache(dead, keys=RedisKeys(prefix="unused")))
    started = time.perf_counter()

    first = await client.get_schedule(**WEEK)
    second = await client.get_schedule(**WEEK)
    await client.create_booking(client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED))

    assert (
        [lesson.free_places for lesson in first]
        == [11, 12]
        == [lesson.free_places for lesson in second]
    )
    assert crm_wire.count("schedule/list") == 2
    assert len(await client.get_groups()) == 1
    # one short timeout, then the cache stands aside (the booking's invalidation tries again)
    assert time.perf_counter() - started < 3
    await dead.aclose()


async def test_entries_carry_a_redis_expiry_and_a_corrupt_one_is_a_miss(
    cache: ScheduleCache, cache_redis: aioredis.Redis, clock: VirtualClock
) -> None:
    lookup = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert lookup is not None and lookup.found == {}
    await cache.put_taken(lookup, {NEXT_WED: {100: 3}}, now=clock.now())
    again = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert again is not None and again.found == {NEXT_WED: {100: 3}}
    key = lookup.keys[NEXT_WED]
    assert 0 < await cache_redis.ttl(key) <= 15 * 60

    await cache_redis.set(key, b"{not json")

    corrupt = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert corrupt is not None and corrupt.found == {}


async def test_an_entry_from_the_future_is_not_trusted(
    cache: ScheduleCache, clock: VirtualClock
) -> None:
    lookup = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert lookup is not None
    await cache.put_taken(lookup, {NEXT_WED: {}}, now=clock.now() + timedelta(minutes=5))

    later = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert later is not None and later.found == {}


async def test_invalidating_a_day_moves_only_its_key_and_the_epoch_moves_all(
    cache: ScheduleCache, clock: VirtualClock
) -> None:
    days = [date(2026, 3, 10), NEXT_WED]
    before = await cache.lookup_taken(days, now=clock.now())
    await cache.invalidate_day(NEXT_WED)
    after_day = await cache.lookup_taken(days, now=clock.now())
    await cache.invalidate_all()
    after_all = await cache.lookup_taken(days, now=clock.now())

    assert before is not None and after_day is not None and after_all is not None
    assert after_day.keys[days[0]] == before.keys[days[0]]
    assert after_day.keys[NEXT_WED] != before.keys[NEXT_WED]
    assert not set(after_all.keys.values()) & set(after_day.keys.values())


async def test_counts_read_while_a_booking_lands_are_never_served(
    cache: ScheduleCache, clock: VirtualClock
) -> None:
    lookup = await cache.lookup_taken([NEXT_WED], now=clock.now())  # taken before the CRM read
    assert lookup is not None
    await cache.invalidate_day(NEXT_WED)  # a booking lands meanwhile
    await cache.put_taken(lookup, {NEXT_WED: {100: 2}}, now=clock.now())  # stale counts

    later = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert later is not None and later.found == {}


async def test_a_cached_schedule_costs_one_redis_round_trip(
    cached_client: ImpulseClient, cache_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules, the versions of the days and their counts are one script call (D80)."""
    first = await cached_client.get_schedule(**WEEK)
    commands: list[str] = []
    execute = cache_redis.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return await execute(*args, **options)

    monkeypatch.setattr(cache_redis, "execute_command", counted)

    again = await cached_client.get_schedule(**WEEK)

    assert again == first
    assert commands == ["EVALSHA"]


async def test_a_version_that_is_not_a_number_reads_as_zero_on_both_sides(
    cache: ScheduleCache, cache_redis: aioredis.Redis, key_prefix: str, clock: VirtualClock
) -> None:
    """The script builds the counts' keys it reads, ``put_taken`` the keys it writes: they
    agree even on a version key that holds garbage."""
    await cache_redis.set(RedisKeys(prefix=key_prefix).crm_cache_day_version("2026-03-11"), "x")
    lookup = await cache.lookup_taken([NEXT_WED], now=clock.now())
    assert lookup is not None and lookup.found == {}
    await cache.put_taken(lookup, {NEXT_WED: {100: 4}}, now=clock.now())

    again = await cache.lookup_taken([NEXT_WED], now=clock.now())

    assert again is not None and again.found == {NEXT_WED: {100: 4}}
    assert again.keys == lookup.keys
