"""A circuit breaker around the CRM port, its state shared by every process through Redis.

Closed: calls go through; each ``CrmUnavailable`` counts, ``failure_threshold`` in a row open
the breaker. Open: calls fail at once with ``CircuitOpen`` (no request reaches the CRM) for
``open_seconds`` on the injected clock. Then half-open: one call is let through as a trial —
its success closes the breaker, its failure opens it again. A ``CrmRefusal`` is the CRM
working and counts as a success. ``health_check`` always asks the CRM: it is how recovery is
noticed without client traffic.

The state lives in one Redis hash changed only by Lua scripts, so the app and the worker see
the same breaker and two processes never both take the half-open trial.

Each breaker also remembers, in process, "closed with no failures, as seen at T" (D78): while
that memo is younger than ``recheck_seconds`` (``RECHECK_SECONDS``, 1 s) a call is admitted
without asking Redis. So a breaker opened by another process is seen here within
``recheck_seconds``; this breaker's own failures drop the memo and are counted in Redis at
once. Only that admission is local: failures, resets and the half-open trial stay in Redis.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar, cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from dancebot.adapters.metrics import CRM_BREAKER_STATE, CRM_REQUEST_SECONDS
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import Booking, CrmClient, Group, Lesson, LessonRef
from dancebot.domain.errors import CrmRefusal, CrmUnavailable
from dancebot.ports.clock import Clock
from dancebot.ports.crm import CRM

log = structlog.get_logger(__name__)

_T = TypeVar("_T")

# How long "closed with no failures" seen in Redis is trusted before Redis is asked again (D78)
RECHECK_SECONDS = 1.0

# Hash fields: state (absent = closed), failures, opened_at and trial_at (Unix seconds).
# ARGV: now, open_seconds. Returns {verdict, failures, since}: verdict closed | trial | open.
ADMIT = """
local h = redis.call('hmget', KEYS[1], 'state', 'failures', 'opened_at', 'trial_at')
local state, failures = h[1] or 'closed', h[2] or '0'
if state == 'closed' then return {'closed', failures, ''} end
local now, wait = tonumber(ARGV[1]), tonumber(ARGV[2])
local since = h[3]
if state == 'half_open' then since = h[4] end
if since and now < tonumber(since) + wait then return {'open', failures, since} end
redis.call('hset', KEYS[1], 'state', 'half_open', 'trial_at', ARGV[1])
return {'trial', failures, ''}
"""
# ARGV: now, threshold. Returns opened | reopened | open | closed. A failure seen while open
# (a health check, a call begun before it opened) restarts the wait: the CRM is still down.
RECORD_FAILURE = """
local state = redis.call('hget', KEYS[1], 'state') or 'closed'
if state == 'open' then
  redis.call('hset', KEYS[1], 'opened_at', ARGV[1])
  return 'open'
end
if state == 'half_open' then
  redis.call('hset', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
  redis.call('hdel', KEYS[1], 'trial_at')
  return 'reopened'
end
local failures = redis.call('hincrby', KEYS[1], 'failures', 1)
if failures < tonumber(ARGV[2]) then return 'closed' end
redis.call('hset', KEYS[1], 'state', 'open', 'opened_at', ARGV[1])
return 'opened'
"""
# Returns the state before: closed with no failures is no key at all.
RECORD_SUCCESS = """
local state = redis.call('hget', KEYS[1], 'state') or 'closed'
redis.call('del', KEYS[1])
return state
"""


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_GAUGE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class CircuitOpen(CrmUnavailable):
    """The breaker is open: the CRM was not asked. ``retry_at`` is when a trial is next
    allowed (None when unknown)."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Admission:  # the store's answer to "may this call go to the CRM?"
    allowed: bool
    trial: bool = False
    failures: int = 0
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    state: BreakerState  # as stored: an open breaker past its wait still reads OPEN here
    failures: int = 0
    opened_at: datetime | None = None


class BreakerStore:
    """The breaker's Redis hash (``RedisKeys.crm_breaker``). A closed breaker with no failures
    is no key at all. Every method raises ``RedisError`` when Redis fails."""

    def __init__(self, redis: Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._key = keys.crm_breaker()
        self._admit_lua = redis.register_script(ADMIT)
        self._failure_lua = redis.register_script(RECORD_FAILURE)
        self._success_lua = redis.register_script(RECORD_SUCCESS)

    async def admit(self, *, now: datetime, open_seconds: float) -> Admission:
        """Closed: allowed. Open within ``open_seconds`` (or a trial under way as long): not
        allowed. Otherwise this caller takes the half-open trial."""
        raw = await self._admit_lua([self._key], [repr(now.timestamp()), repr(open_seconds)])
        verdict, failures, since = (_text(part) for part in raw)
        if verdict == "open":
            return Admission(
                allowed=False, failures=int(failures), retry_at=_at(float(since) + open_seconds)
            )
        return Admission(allowed=True, trial=verdict == "trial", failures=int(failures))

    async def record_failure(self, *, now: datetime, threshold: int) -> str:
        """Count one failure. Returns ``"opened"`` (this failure opened it), ``"reopened"`` (a
        trial failed), ``"open"`` (it was open already) or ``"closed"`` (still closed)."""
        return _text(await self._failure_lua([self._key], [repr(now.timestamp()), threshold]))

    async def record_success(self) -> BreakerState:
        """Close the breaker and forget failures; returns the state it was in."""
        return BreakerState(_text(await self._success_lua([self._key])))

    async def snapshot(self) -> BreakerSnapshot:
        fields = self._redis.hmget(self._key, ["state", "failures", "opened_at"])
        state, failures, opened_at = await cast("Awaitable[list[bytes | None]]", fields)
        return BreakerSnapshot(
            state=BreakerState(_text(state)) if state else BreakerState.CLOSED,
            failures=int(failures or 0),
            opened_at=_at(float(opened_at)) if opened_at else None,
        )


class CircuitBreakerCRM:
    """The ``CRM`` port by delegation to ``inner``, behind a breaker kept in ``state``.

    Raises what ``inner`` raises, plus ``CircuitOpen`` (a ``CrmUnavailable``) while open.
    When Redis fails the breaker stands aside (the call goes to the CRM) and logs it: a broken
    breaker must not take the CRM down with it.

    Staleness bound: once Redis said "closed, no failures" (or this breaker's success closed
    it), calls are admitted without Redis for ``recheck_seconds`` on ``clock``; a breaker
    opened meanwhile by another process is seen by the first call after that. This breaker's
    own failure, a trial, an open verdict and a Redis error drop the memo at once, so its own
    failures count exactly as without it. ``recheck_seconds=0`` asks Redis before every call.
    """

    def __init__(
        self,
        inner: CRM,
        *,
        clock: Clock,
        state: BreakerStore,
        failure_threshold: int = 3,
        open_seconds: float = 30.0,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        if failure_threshold < 1 or open_seconds <= 0 or recheck_seconds < 0:
            raise ValueError(
                "failure_threshold must be ≥ 1, open_seconds > 0 and recheck_seconds ≥ 0"
            )
        self._inner = inner
        self._clock = clock
        self._store = state
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._recheck_seconds = recheck_seconds
        self._clean_at: datetime | None = None  # the memo: closed with no failures, seen then
        # bumped whenever the memo is dropped, so an answer read before a drop cannot set it
        self._generation = 0

    async def state(self) -> BreakerState:
        """Closed, open, or half-open (open and past its wait: the next call is a trial).
        Raises ``RedisError``. Sets the ``dancebot_crm_breaker_state`` gauge."""
        snapshot = await self._store.snapshot()
        state = snapshot.state
        if state is BreakerState.OPEN and snapshot.opened_at is not None:
            elapsed = (self._clock.now() - snapshot.opened_at).total_seconds()
            if elapsed >= self._open_seconds:
                state = BreakerState.HALF_OPEN
        CRM_BREAKER_STATE.set(_GAUGE[state])
        return state

    async def probe(self) -> bool:
        """Ask the CRM whether it answers, leaving the breaker as it is: for ``/health``,
        whose probes must neither open nor close the breaker. Never raises."""
        started = time.perf_counter()
        healthy = await self._inner.health_check()
        _observe("health_check", started, "ok" if healthy else "unavailable")
        return healthy

    async def is_down(self) -> bool:
        """True while the breaker is not closed. Raises ``RedisError``."""
        return await self.state() is not BreakerState.CLOSED

    async def get_schedule(
        self,
        *,
        date_from: date,
        date_to: date,
        style_id: int | None = None,
        group_id: int | None = None,
    ) -> list[Lesson]:
        return await self._guard(
            "get_schedule",
            lambda: self._inner.get_schedule(
                date_from=date_from, date_to=date_to, style_id=style_id, group_id=group_id
            ),
        )

    async def get_groups(self) -> list[Group]:
        return await self._guard("get_groups", self._inner.get_groups)

    async def find_client(self, phone: str, *, name: str | None = None) -> CrmClient | None:
        return await self._guard("find_client", lambda: self._inner.find_client(phone, name=name))

    async def create_client(
        self, *, name: str, phone: str, last_name: str | None = None
    ) -> CrmClient:
        return await self._guard(
            "create_client",
            lambda: self._inner.create_client(name=name, phone=phone, last_name=last_name),
        )

    async def create_booking(self, *, client_id: int, lesson: LessonRef) -> Booking:
        return await self._guard(
            "create_booking",
            lambda: self._inner.create_booking(client_id=client_id, lesson=lesson),
        )

    async def list_bookings(
        self, *, client_id: int, date_from: date | None = None
    ) -> list[Booking]:
        return await self._guard(
            "list_bookings",
            lambda: self._inner.list_bookings(client_id=client_id, date_from=date_from),
        )

    async def cancel_booking(self, booking_id: int) -> None:
        await self._guard("cancel_booking", lambda: self._inner.cancel_booking(booking_id))

    async def health_check(self) -> bool:
        """Ask the CRM whatever the breaker's state: True closes the breaker, False counts as
        a failure. Never raises."""
        if healthy := await self._inner.health_check():
            await self._succeeded(dirty=True)
        else:
            await self._failed("health_check", error="health_check_failed")
        return healthy

    async def _guard(self, method: str, call: Callable[[], Awaitable[_T]]) -> _T:
        try:
            admission = await self._admit(method)
        except CircuitOpen:
            CRM_REQUEST_SECONDS.labels(method, "circuit_open").observe(0)
            raise
        # a closed breaker with no failures has nothing to reset: no Redis write on success
        dirty = admission.trial or admission.failures > 0
        started = time.perf_counter()
        try:
            result = await call()
        except CrmUnavailable as exc:
            _observe(method, started, "unavailable")
            await self._failed(method, error=type(exc).__name__)
            raise
        except CrmRefusal:  # the CRM answered: it works
            _observe(method, started, "refused")
            await self._succeeded(dirty=dirty)
            raise
        _observe(method, started, "ok")
        await self._succeeded(dirty=dirty)
        return result

    async def _admit(self, method: str) -> Admission:
        now = self._clock.now()
        if self._known_clean(now):
            return Admission(allowed=True)
        generation = self._generation
        try:
            admission = await self._store.admit(now=now, open_seconds=self._open_seconds)
        except RedisError as exc:
            log.error("crm_breaker_store_failed", step="admit", error=type(exc).__name__)
            self._forget_clean()
            return Admission(allowed=True)
        if admission.allowed and not admission.trial and admission.failures == 0:
            self._remember_clean(now, since=generation)
            return admission
        self._forget_clean()
        if not admission.allowed:
            log.info("crm_breaker_rejected", method=method)
            raise CircuitOpen("the CRM circuit breaker is open", retry_at=admission.retry_at)
        if admission.trial:
            log.info("crm_breaker_trial", method=method)
        return admission

    def _known_clean(self, now: datetime) -> bool:
        if self._clean_at is None:
            return False
        # a wall clock set back would keep the memo young for as long: count it stale
        age = (now - self._clean_at).total_seconds()
        return 0 <= age < self._recheck_seconds

    def _remember_clean(self, seen_at: datetime, *, since: int) -> None:
        if self._generation == since:  # nothing dropped the memo while Redis was asked
            self._clean_at = seen_at

    def _forget_clean(self) -> None:
        self._clean_at = None
        self._generation += 1

    async def _failed(self, method: str, *, error: str) -> None:
        self._forget_clean()
        try:
            outcome = await self._store.record_failure(
                now=self._clock.now(), threshold=self._threshold
            )
        except RedisError as exc:
            log.error("crm_breaker_store_failed", step="failure", error=type(exc).__name__)
            return
        if outcome in ("opened", "reopened"):
            log.warning(
                "crm_breaker_opened",
                method=method,
                error=error,
                trial_failed=outcome == "reopened",
                open_seconds=self._open_seconds,
            )

    async def _succeeded(self, *, dirty: bool) -> None:
        if not dirty:  # nothing new was learnt: the memo, if any, keeps its age
            return
        seen_at, generation = self._clock.now(), self._generation
        try:
            was = await self._store.record_success()
        except RedisError as exc:
            log.error("crm_breaker_store_failed", step="success", error=type(exc).__name__)
            return
        self._remember_clean(seen_at, since=generation)
        if was is not BreakerState.CLOSED:
            log.warning("crm_breaker_closed", was=was.value)


def _observe(method: str, started: float, outcome: str) -> None:
    CRM_REQUEST_SECONDS.labels(method, outcome).observe(time.perf_counter() - started)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


if TYPE_CHECKING:

    def _implements_the_port(breaker: CircuitBreakerCRM) -> CRM:
        return breaker  # mypy checks CircuitBreakerCRM against the CRM Protocol here
