"""The breaker's in-process memo "closed with no failures" (D78), over the real Impulse client,
the emulator and Redis: a clean closed breaker asks Redis at most once per recheck interval;
another instance's opening is seen once the interval has passed; this instance's own failures
and a failing Redis drop the memo at once.

``CountingStore`` is the real ``BreakerStore`` (its scripts run in Redis) that also counts
``admit`` calls: the round trips the memo is there to save.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis
from tests.conftest import REDIS_URL
from tests.integration.crm.conftest import ClientFactory
from tests.tcp_proxy import tcp_proxy

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.breaker import (
    RECHECK_SECONDS,
    Admission,
    BreakerState,
    BreakerStore,
    CircuitBreakerCRM,
    CircuitOpen,
)
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.errors import CrmServerError

RECHECK = timedelta(seconds=RECHECK_SECONDS)


class CountingStore(BreakerStore):
    def __init__(self, redis: aioredis.Redis, *, keys: RedisKeys) -> None:
        super().__init__(redis, keys=keys)
        self.admits = 0

    async def admit(self, *, now: datetime, open_seconds: float) -> Admission:
        self.admits += 1
        return await super().admit(now=now, open_seconds=open_seconds)


Counted = Callable[..., tuple[CircuitBreakerCRM, CountingStore]]


@pytest.fixture
def counted(
    make_client: ClientFactory, clock: VirtualClock, keys: RedisKeys, redis: aioredis.Redis
) -> Counted:
    """``counted(on=…, **breaker_options)``: a breaker over a fresh client and its store."""

    def build(
        *, on: aioredis.Redis | None = None, **options: float
    ) -> tuple[CircuitBreakerCRM, CountingStore]:
        store = CountingStore(on if on is not None else redis, keys=keys)
        breaker = CircuitBreakerCRM(make_client(), clock=clock, state=store, **options)
        return breaker, store

    return build


async def test_a_clean_closed_breaker_asks_redis_once_per_recheck_interval(
    counted: Counted, clock: VirtualClock, sent: list[str]
) -> None:
    breaker, store = counted()

    for _ in range(5):
        assert [g.id for g in await breaker.get_groups()] == [10]
        clock.advance(RECHECK / 10)
    assert (store.admits, len(sent)) == (1, 5)  # every call reached the CRM

    clock.advance(RECHECK / 2)  # 1.0 interval since Redis was asked: it is asked again
    await breaker.get_groups()
    await breaker.get_groups()
    assert store.admits == 2

    always, always_store = counted(recheck_seconds=0)
    for _ in range(3):
        await always.get_groups()
    assert always_store.admits == 3


def test_recheck_seconds_cannot_be_negative(counted: Counted) -> None:
    with pytest.raises(ValueError, match="recheck_seconds"):
        counted(recheck_seconds=-1)


async def test_an_opening_by_another_instance_is_seen_within_the_recheck_interval(
    counted: Counted,
    other_redis: aioredis.Redis,
    emulator_state: EmulatorState,
    clock: VirtualClock,
    sent: list[str],
) -> None:
    app, _ = counted()
    worker, _ = counted(on=other_redis)
    await app.get_groups()  # the app now remembers: closed, no failures
    emulator_state.set_fault("down")
    for _ in range(3):
        with pytest.raises(CrmServerError):
            await worker.get_groups()
    assert await app.state() is BreakerState.OPEN
    emulator_state.set_fault("none")  # the CRM is back; the breaker stays open for 30 s

    clock.advance(RECHECK / 2)
    with contextlib.suppress(CircuitOpen):  # the app may or may not have seen it yet
        await app.get_groups()
    clock.advance(RECHECK / 2)
    before = len(sent)

    with pytest.raises(CircuitOpen):
        await app.get_groups()
    assert len(sent) == before


async def test_a_failure_here_drops_the_memo_so_three_in_a_row_still_open_it(
    counted: Counted, emulator_state: EmulatorState, sent: list[str]
) -> None:
    breaker, store = counted()
    await breaker.get_groups()  # remembered: closed, no failures
    emulator_state.set_fault("down")

    for _ in range(3):  # the clock stands still: only the failures can drop the memo
        with pytest.raises(CrmServerError):
            await breaker.get_groups()
    assert await breaker.state() is BreakerState.OPEN
    assert store.admits == 3  # the first failing call was the memo's; each after asked Redis
    before = len(sent)

    with pytest.raises(CircuitOpen):
        await breaker.get_groups()
    assert (store.admits, len(sent)) == (4, before)


@pytest.mark.redis
async def test_with_redis_failing_it_stands_aside_and_remembers_nothing(
    make_client: ClientFactory,
    clock: VirtualClock,
    keys: RedisKeys,
    real_redis: aioredis.Redis,
    emulator_state: EmulatorState,
    sent: list[str],
) -> None:
    async with tcp_proxy(REDIS_URL) as proxy:
        database = REDIS_URL.rsplit("/", 1)[1]
        behind = aioredis.from_url(proxy.url.replace("http://", "redis://") + f"/{database}")
        store = CountingStore(behind, keys=keys)
        breaker = CircuitBreakerCRM(make_client(), clock=clock, state=store)
        try:
            await breaker.get_groups()  # remembered: closed, no failures
            clock.advance(RECHECK)
            proxy.break_connections()

            assert [g.id for g in await breaker.get_groups()] == [10]  # stood aside
            assert store.admits == 2
            # meanwhile another process, which can reach Redis, opened the breaker
            other = BreakerStore(real_redis, keys=keys)
            await other.record_failure(now=clock.now(), threshold=1)
            proxy.cut = False  # Redis is back for this process too
            before = len(sent)

            with pytest.raises(CircuitOpen):  # the clock stood still: no memo was kept
                await breaker.get_groups()
            assert (store.admits, len(sent)) == (3, before)
        finally:
            await behind.aclose()
