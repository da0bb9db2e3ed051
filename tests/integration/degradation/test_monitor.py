"""``DegradationMonitor`` over the real breaker, Impulse client, emulator and Redis: the level
and its gauge, one admin alert per level change (across processes), the backlog alert at most
every 30 minutes of the (virtual) clock, and recovery noticed without client traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.breaker import BreakerState, CircuitBreakerCRM
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.degradation_state import DegradationMonitor
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.degradation import Level
from dancebot.domain.errors import CrmServerError


class RecordingAdmin:
    """The admin chat: records what it was told; ``fail_next`` makes the next send fail."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.fail_next = False

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("admin chat unreachable")
        self.texts.append(text)


@dataclass
class Probes:
    """What the monitor's callables report; a test changes it between calls."""

    llm_down: bool = False
    dead_letters: int = 0
    fallback: tuple[int, timedelta | None] = (0, None)
    channels: frozenset[str] = field(default_factory=frozenset)
    broken: bool = False

    async def is_llm_down(self) -> bool:
        return self.llm_down

    async def dead_letters_open(self) -> int:
        if self.broken:
            raise ConnectionError("database unreachable")
        return self.dead_letters

    async def fallback_stats(self) -> tuple[int, timedelta | None]:
        return self.fallback

    async def channels_down(self) -> frozenset[str]:
        return self.channels


@pytest.fixture
def probes() -> Probes:
    return Probes()


@pytest.fixture
def admin() -> RecordingAdmin:
    return RecordingAdmin()


def monitor_for(
    breaker: CircuitBreakerCRM,
    probes: Probes,
    *,
    clock: VirtualClock,
    redis: aioredis.Redis,
    keys: RedisKeys,
    admin: RecordingAdmin,
    llm: bool = True,
) -> DegradationMonitor:
    return DegradationMonitor(
        breaker,
        llm_down=probes.is_llm_down if llm else None,
        dead_letters_open=probes.dead_letters_open,
        fallback_stats=probes.fallback_stats,
        channels_down=probes.channels_down,
        clock=clock,
        redis=redis,
        keys=keys,
        admin=admin,
    )


@pytest.fixture
def monitor(
    breaker: CircuitBreakerCRM,
    probes: Probes,
    clock: VirtualClock,
    redis: aioredis.Redis,
    keys: RedisKeys,
    admin: RecordingAdmin,
) -> DegradationMonitor:
    return monitor_for(breaker, probes, clock=clock, redis=redis, keys=keys, admin=admin)


async def open_breaker(breaker: CircuitBreakerCRM, emulator_state: EmulatorState) -> None:
    emulator_state.set_fault("down")
    for _ in range(3):
        with pytest.raises(CrmServerError):
            await breaker.get_groups()


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


async def test_level_and_gauge_follow_what_is_down(
    monitor: DegradationMonitor,
    breaker: CircuitBreakerCRM,
    probes: Probes,
    emulator_state: EmulatorState,
) -> None:
    assert (await monitor.current()).level is Level.NORMAL
    assert gauge("dancebot_degradation_level") == 0

    await open_breaker(breaker, emulator_state)
    assert (await monitor.current()).level is Level.CRM_DOWN
    assert gauge("dancebot_degradation_level") == 1

    probes.llm_down = True
    assert (await monitor.current()).level is Level.CRM_AND_LLM_DOWN
    assert gauge("dancebot_degradation_level") == 3

    emulator_state.set_fault("none")
    await breaker.health_check()
    probes.llm_down = False
    probes.fallback = (21, timedelta(minutes=5))
    degradation = await monitor.current()
    assert (degradation.level, degradation.backlog_alert) == (Level.BACKLOG, True)
    assert (gauge("dancebot_degradation_level"), gauge("dancebot_degradation_backlog")) == (4, 1)


async def test_no_llm_configured_is_not_llm_down(
    breaker: CircuitBreakerCRM,
    probes: Probes,
    clock: VirtualClock,
    redis: aioredis.Redis,
    keys: RedisKeys,
    admin: RecordingAdmin,
) -> None:
    probes.llm_down = True  # would say down, but the monitor has no LLM to ask
    monitor = monitor_for(
        breaker, probes, clock=clock, redis=redis, keys=keys, admin=admin, llm=False
    )
    assert (await monitor.current()).level is Level.NORMAL


async def test_a_level_change_is_announced_once_across_processes(
    monitor: DegradationMonitor,
    breaker: CircuitBreakerCRM,
    probes: Probes,
    emulator_state: EmulatorState,
    clock: VirtualClock,
    other_redis: aioredis.Redis,
    keys: RedisKeys,
    admin: RecordingAdmin,
) -> None:
    worker = monitor_for(breaker, probes, clock=clock, redis=other_redis, keys=keys, admin=admin)
    await monitor.tick(clock.now())
    assert admin.texts == []  # L0 from the start: nothing to say

    await open_breaker(breaker, emulator_state)
    for _ in range(3):
        await monitor.tick(clock.now())
        await worker.tick(clock.now())

    assert admin.texts == ["⚠️ CRM недоступна: записи идут в очередь заявок. (L0 → L1)"]


async def test_recovery_is_noticed_without_client_traffic(
    monitor: DegradationMonitor,
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    clock: VirtualClock,
    sent: list[str],
    admin: RecordingAdmin,
) -> None:
    await open_breaker(breaker, emulator_state)
    await monitor.tick(clock.now())
    emulator_state.set_fault("none")
    before = len(sent)

    clock.advance(timedelta(seconds=29))
    await monitor.tick(clock.now())
    assert len(sent) == before  # still within the wait: the CRM is left alone
    clock.advance(timedelta(seconds=1))
    await monitor.tick(clock.now())

    assert sent[before:] == ["style/list"]
    assert await breaker.state() is BreakerState.CLOSED
    assert admin.texts[-1] == "✅ Все системы снова работают. (L1 → L0)"


async def test_a_failed_probe_waits_another_30_seconds(
    monitor: DegradationMonitor,
    breaker: CircuitBreakerCRM,
    emulator_state: EmulatorState,
    clock: VirtualClock,
    sent: list[str],
) -> None:
    await open_breaker(breaker, emulator_state)
    clock.advance(timedelta(seconds=30))
    before = len(sent)

    await monitor.tick(clock.now())  # probes, the CRM is still down
    clock.advance(timedelta(seconds=5))
    await monitor.tick(clock.now())

    assert sent[before:] == ["style/list"]
    assert await breaker.state() is BreakerState.OPEN


async def test_backlog_alert_at_most_every_30_minutes(
    monitor: DegradationMonitor,
    probes: Probes,
    clock: VirtualClock,
    admin: RecordingAdmin,
) -> None:
    probes.fallback = (25, timedelta(minutes=90))

    await monitor.tick(clock.now())
    clock.advance(timedelta(minutes=10))
    await monitor.tick(clock.now())
    clock.advance(timedelta(minutes=19, seconds=59))
    await monitor.tick(clock.now())
    assert admin.texts == [
        "⚠️ Очереди копятся: заявок в очереди 25, самая старая ждёт 90 мин, "
        "недоставленных сообщений 0. Разберите очередь заявок и dead_letter_messages."
    ]

    clock.advance(timedelta(seconds=1))
    probes.dead_letters = 51
    await monitor.tick(clock.now())
    assert len(admin.texts) == 2
    assert "недоставленных сообщений 51" in admin.texts[1]

    probes.fallback, probes.dead_letters = (0, None), 0  # cleared: no more alerts
    clock.advance(timedelta(hours=1))
    await monitor.tick(clock.now())
    assert len(admin.texts) == 2


async def test_a_failed_alert_is_sent_by_the_next_tick(
    monitor: DegradationMonitor,
    breaker: CircuitBreakerCRM,
    probes: Probes,
    emulator_state: EmulatorState,
    clock: VirtualClock,
    admin: RecordingAdmin,
) -> None:
    await open_breaker(breaker, emulator_state)
    admin.fail_next = True
    await monitor.tick(clock.now())  # the admin chat is unreachable: logged, not raised
    assert admin.texts == []

    probes.broken = True
    await monitor.tick(clock.now())  # a probe fails: logged, not raised
    assert admin.texts == []

    probes.broken = False
    await monitor.tick(clock.now())
    assert admin.texts == ["⚠️ CRM недоступна: записи идут в очередь заявок. (L0 → L1)"]


async def test_current_lets_a_probe_failure_through(
    monitor: DegradationMonitor, probes: Probes
) -> None:
    probes.broken = True
    with pytest.raises(ConnectionError):
        await monitor.current()
