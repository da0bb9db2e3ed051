"""The CRM circuit breaker around the real Impulse client, the emulator over HTTP, the state in
Redis: failures open it, an open breaker sends nothing, a trial after 30 virtual seconds,
refusals do not count, the health check closes it, processes share it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
import redis.asyncio as aioredis
from tests.integration.crm.conftest import ClientFactory
from tests.integration.degradation.conftest import BreakerFactory

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.breaker import (
    RECHECK_SECONDS,
    BreakerState,
    BreakerStore,
    CircuitBreakerCRM,
    CircuitOpen,
)
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import LessonRef
from dancebot.domain.errors import CrmServerError, LessonFull, NotFound

WEEK = {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 8)}
READ_ATTEMPTS = 4  # the client tries a read four times before it gives up


async def fail_times(breaker: CircuitBreakerCRM, times: int) -> None:
    for _ in range(times):
        with pytest.raises(CrmServerError):
            await breaker.get_groups()


async def open_breaker(breaker: CircuitBreakerCRM, emulator_state: EmulatorState) -> None:
    emulator_state.set_fault("down")
    await fail_times(breaker, 3)
    assert await breaker.state() is BreakerState.OPEN


async def test_three_unavailable_calls_open_it(
    breaker: CircuitBreakerCRM, emulator_state: EmulatorState, sent: list[str]
) -> None:
    emulator_state.set_fault("down")

    await fail_times(breaker, 2)
    assert (await breaker.state(), await breaker.is_down()) == (BreakerState.CLOSED, False)
    await fail_times(breaker, 1)

    assert (await breaker.state(), await breaker.is_down()) == (BreakerState.OPEN, True)
    assert len(sent) == 3 * READ_ATTEMPTS


async def test_open_breaker_fails_at_once_without_a_request(
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    sent: list[str],
    clock: VirtualClock,
) -> None:
    await open_breaker(breaker, emulator_state)
    opened_at = clock.now()
    before = len(sent)
    emulator_state.set_fault("none")  # the CRM is back, but the breaker does not know yet

    with pytest.raises(CircuitOpen) as caught:
        await breaker.get_schedule(**WEEK)
    with pytest.raises(CircuitOpen):
        await breaker.create_booking(
            client_id=500, lesson=LessonRef(schedule_id=100, date=WEEK["date_to"])
        )
    with pytest.raises(CircuitOpen):
        await breaker.find_client("+79991234567")

    assert len(sent) == before
    assert caught.value.retry_at == opened_at + timedelta(seconds=30)


async def test_after_30_seconds_one_trial_closes_it(
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    sent: list[str],
    clock: VirtualClock,
) -> None:
    await open_breaker(breaker, emulator_state)
    emulator_state.set_fault("none")

    clock.advance(timedelta(seconds=29))
    with pytest.raises(CircuitOpen):
        await breaker.get_groups()
    clock.advance(timedelta(seconds=1))
    assert await breaker.state() is BreakerState.HALF_OPEN
    before = len(sent)

    groups = await breaker.get_groups()

    assert [g.id for g in groups] == [10]
    assert sent[before:] == ["group/list"]
    assert await breaker.state() is BreakerState.CLOSED
    # closed means closed: failures start from zero again
    emulator_state.set_fault("down")
    await fail_times(breaker, 2)
    assert await breaker.state() is BreakerState.CLOSED


async def test_failed_trial_opens_it_again(
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    sent: list[str],
    clock: VirtualClock,
) -> None:
    await open_breaker(breaker, emulator_state)
    clock.advance(timedelta(seconds=30))

    await fail_times(breaker, 1)  # the trial
    after_trial = len(sent)
    with pytest.raises(CircuitOpen) as caught:
        await breaker.get_groups()

    assert await breaker.state() is BreakerState.OPEN
    assert len(sent) == after_trial
    assert caught.value.retry_at == clock.now() + timedelta(seconds=30)


async def test_a_second_caller_is_turned_away_during_the_trial(
    breaker: CircuitBreakerCRM, emulator_state: EmulatorState, clock: VirtualClock
) -> None:
    await open_breaker(breaker, emulator_state)
    clock.advance(timedelta(seconds=30))
    emulator_state.set_fault("slow", 0.3)

    async def second() -> BaseException | None:
        await asyncio.sleep(0.05)  # after the trial was admitted
        try:
            await breaker.get_groups()
        except CircuitOpen as exc:
            return exc
        return None

    trial, turned_away = await asyncio.gather(breaker.get_groups(), second())

    assert [g.id for g in trial] == [10]
    assert isinstance(turned_away, CircuitOpen)
    assert await breaker.state() is BreakerState.CLOSED


async def test_refusals_do_not_count(
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    full_lesson: LessonRef,
) -> None:
    other = emulator_state.update("client", {"name": "Ольга", "phone": "79990001122"})
    for _ in range(5):
        with pytest.raises(LessonFull):
            await breaker.create_booking(client_id=other["id"], lesson=full_lesson)
    assert await breaker.state() is BreakerState.CLOSED

    # a refusal is the CRM answering: it breaks a run of failures
    emulator_state.set_fault("down")
    await fail_times(breaker, 2)
    emulator_state.set_fault("none")
    with pytest.raises(NotFound):
        await breaker.cancel_booking(123456)
    emulator_state.set_fault("down")
    await fail_times(breaker, 2)

    assert await breaker.state() is BreakerState.CLOSED


async def test_health_check_closes_it_when_the_crm_is_back(
    breaker: CircuitBreakerCRM, emulator_state: EmulatorState, sent: list[str]
) -> None:
    await open_breaker(breaker, emulator_state)
    before = len(sent)

    assert await breaker.health_check() is False  # always asks, even while open
    assert await breaker.state() is BreakerState.OPEN
    emulator_state.set_fault("none")
    assert await breaker.health_check() is True

    assert sent[before:] == ["style/list", "style/list"]
    assert await breaker.state() is BreakerState.CLOSED
    assert [g.id for g in await breaker.get_groups()] == [10]  # no 30 s wait


async def test_failed_health_checks_count_as_failures(
    breaker: CircuitBreakerCRM, emulator_state: EmulatorState
) -> None:
    emulator_state.set_fault("login_page")  # a refused key: the CRM gives no data

    for _ in range(3):
        assert await breaker.health_check() is False

    assert await breaker.state() is BreakerState.OPEN


async def test_two_breakers_on_one_redis_share_the_state(
    make_breaker: BreakerFactory,
    make_client: ClientFactory,
    other_redis: aioredis.Redis,
    emulator_state: EmulatorState,
    sent: list[str],
    clock: VirtualClock,
) -> None:
    app = make_breaker(make_client())
    worker = make_breaker(make_client(), on=other_redis)
    assert [g.id for g in await worker.get_groups()] == [10]  # the worker saw it closed, clean
    await open_breaker(app, emulator_state)
    before = len(sent)

    assert await worker.state() is BreakerState.OPEN
    # the worker's calls see the app's opening within its recheck interval (D78), no later
    clock.advance(timedelta(seconds=RECHECK_SECONDS))
    with pytest.raises(CircuitOpen):
        await worker.get_schedule(**WEEK)
    assert len(sent) == before

    emulator_state.set_fault("none")
    assert await worker.health_check() is True
    assert await app.state() is BreakerState.CLOSED
    assert [g.id for g in await app.get_groups()] == [10]


async def test_without_redis_the_breaker_stands_aside(
    impulse_client: ImpulseClient,
    clock: VirtualClock,
    keys: RedisKeys,
    emulator_state: EmulatorState,
) -> None:
    nowhere = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    breaker = CircuitBreakerCRM(impulse_client, clock=clock, state=BreakerStore(nowhere, keys=keys))
    try:
        assert [g.id for g in await breaker.get_groups()] == [10]
        emulator_state.set_fault("down")
        for _ in range(4):  # never CircuitOpen: the CRM's own error every time
            with pytest.raises(CrmServerError):
                await breaker.get_groups()
    finally:
        await nowhere.aclose()
