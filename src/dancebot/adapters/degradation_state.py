"""The live degradation level: gathered from the CRM breaker, the LLM, the channels and the
queues; exported as the ``dancebot_degradation_level`` gauge; announced to the admin.

``current()`` is cheap enough for every ``/health`` call and every turn. ``tick(now)`` belongs
to the due-work loop (the worker, every few seconds): it probes the CRM when the breaker is
waiting for a trial (so recovery is noticed without client traffic), tells the admin once when
the level changes, and repeats a backlog alert at most every 30 minutes. Both go through Redis
keys, so several processes ticking still send each alert once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from prometheus_client import Gauge
from redis.asyncio import Redis

from dancebot.adapters.crm.breaker import BreakerState, CircuitBreakerCRM
from dancebot.adapters.metrics import DEAD_LETTERS_OPEN, FALLBACK_QUEUE_DEPTH
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.degradation import Degradation, Level, assess
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier

log = structlog.get_logger(__name__)

DEGRADATION_LEVEL = Gauge(
    "dancebot_degradation_level", "Degradation level (RFC §21): 0 normal … 4 queue backlog"
)
DEGRADATION_BACKLOG = Gauge(
    "dancebot_degradation_backlog", "1 while the queues need the admin (dead letters, fallback)"
)

BACKLOG_ALERT_EVERY = timedelta(minutes=30)
# the last level survives restarts for a day; a new process compares against it
LEVEL_TTL = timedelta(days=1)

LEVEL_CHANGE_TEXT: dict[Level, str] = {
    Level.NORMAL: "✅ Все системы снова работают.",
    Level.CRM_DOWN: "⚠️ CRM недоступна: записи идут в очередь заявок.",
    Level.LLM_DOWN: "⚠️ Языковая модель недоступна: бот отвечает по базе знаний.",
    Level.CRM_AND_LLM_DOWN: (
        "🚨 Недоступны CRM и языковая модель: клиентам говорим о неполадках, заявки идут в очередь."
    ),
}

# Alert at most once per ARGV[2] seconds of the caller's clock (a virtual one in tests); the
# key's TTL (ARGV[3], real seconds) only cleans up. ARGV[1] = now. Returns 1 when due.
_THROTTLE = """
local last = redis.call('get', KEYS[1])
if last and tonumber(ARGV[1]) < tonumber(last) + tonumber(ARGV[2]) then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""

Probe = Callable[[], Awaitable[bool]]
FallbackStats = Callable[[], Awaitable[tuple[int, timedelta | None]]]


def backlog_text(degradation: Degradation) -> str:
    backlog = degradation.backlog
    age = backlog.oldest_fallback_age
    waiting = f", самая старая ждёт {int(age.total_seconds() // 60)} мин" if age else ""
    return (
        f"⚠️ Очереди копятся: заявок в очереди {backlog.fallback_size}{waiting}, "
        f"недоставленных сообщений {backlog.dead_letters}. Разберите очередь заявок и "
        "dead_letter_messages."
    )


class DegradationMonitor:
    """Assesses the level from the breaker and the given probes.

    ``llm_down`` None means no LLM is configured (never down). ``channels_down`` (optional)
    names the channels that currently fail. Every probe may raise; ``current()`` lets it
    through, ``tick()`` logs it and never raises.
    """

    def __init__(
        self,
        breaker: CircuitBreakerCRM,
        *,
        llm_down: Probe | None,
        dead_letters_open: Callable[[], Awaitable[int]],
        fallback_stats: FallbackStats,
        clock: Clock,
        redis: Redis,
        keys: RedisKeys,
        admin: AdminNotifier,
        fallback_sla: timedelta = timedelta(hours=1),
        channels_down: Callable[[], Awaitable[frozenset[str]]] | None = None,
    ) -> None:
        self._breaker = breaker
        self._llm_down = llm_down
        self._dead_letters_open = dead_letters_open
        self._fallback_stats = fallback_stats
        self._channels_down = channels_down
        self._clock = clock
        self._redis = redis
        self._keys = keys
        self._admin = admin
        self._fallback_sla = fallback_sla
        self._throttle = redis.register_script(_THROTTLE)

    async def current(self) -> Degradation:
        """The level now; sets the gauges. Raises what a probe or Redis raises."""
        fallback_size, oldest_age = await self._fallback_stats()
        degradation = assess(
            crm_down=await self._breaker.is_down(),
            llm_down=await self._llm_down() if self._llm_down is not None else False,
            channels_down=await self._channels_down() if self._channels_down else frozenset(),
            dead_letters=await self._dead_letters_open(),
            fallback_size=fallback_size,
            oldest_fallback_age=oldest_age,
            fallback_sla=self._fallback_sla,
        )
        DEGRADATION_LEVEL.set(int(degradation.level))
        FALLBACK_QUEUE_DEPTH.set(fallback_size)
        DEAD_LETTERS_OPEN.set(degradation.backlog.dead_letters)
        DEGRADATION_BACKLOG.set(int(degradation.backlog_alert))
        return degradation

    async def tick(self, now: datetime) -> None:
        """Probe the CRM if a trial is due, then announce a level change and a backlog when
        due. Never raises: a failure is logged and the next tick tries again."""
        try:
            if await self._breaker.state() is BreakerState.HALF_OPEN:
                await self._breaker.health_check()
            degradation = await self.current()
            await self._announce_change(degradation)
            await self._alert_backlog(degradation, now=now)
        except Exception as exc:  # the due-work loop must go on with the other work
            log.error("degradation_tick_failed", error=f"{type(exc).__name__}: {exc}")

    # the due-work protocol (``Services.due_work``): nothing is ever "due" at an instant of
    # its own, it only wants a look each time the loop runs
    async def next_due_at(self) -> datetime | None:
        return None

    async def run_due(self, now: datetime) -> int:
        """``tick(now)``; returns 0 (it handles no due items)."""
        await self.tick(now)
        return 0

    async def _announce_change(self, degradation: Degradation) -> None:
        # the backlog has its own alert: here only the services' level counts
        level = Level.NORMAL if degradation.level is Level.BACKLOG else degradation.level
        key = self._keys.degradation_level()
        # SET … GET is atomic: of several processes seeing the change, exactly one alerts
        previous = await self._redis.set(key, str(int(level)), ex=LEVEL_TTL, get=True)
        before = Level(int(previous)) if previous is not None else Level.NORMAL
        if before is level:
            return
        log.warning(
            "degradation_level_changed",
            level=level.code,
            was=before.code,
            reasons=list(degradation.reasons),
        )
        try:
            await self._admin.notify_admin(
                f"{LEVEL_CHANGE_TEXT[level]} ({before.code} → {level.code})"
            )
        except Exception:
            # put the old level back so the next tick announces the change again
            await self._redis.set(key, str(int(before)), ex=LEVEL_TTL)
            raise

    async def _alert_backlog(self, degradation: Degradation, *, now: datetime) -> None:
        if not degradation.backlog_alert:
            return
        key = self._keys.degradation_backlog_alert()
        every = BACKLOG_ALERT_EVERY.total_seconds()
        if not await self._throttle([key], [repr(now.timestamp()), every, int(every)]):
            return
        try:
            await self._admin.notify_admin(backlog_text(degradation))
        except Exception:
            await self._redis.delete(key)
            raise
        log.warning("degradation_backlog_alert_sent", reasons=list(degradation.reasons))
