"""A Redis cache of CRM reads (RFC §20.3): schedule rules and reservation counts 15 min,
groups 1 h.

Freshness is judged by the caller's clock, not by Redis alone: every entry stores its
``fetched_at`` and an entry older than its TTL is treated as missing (the Redis ``EX`` is only
a cleanup bound). So the virtual clock of tests and scenarios moves the cache as it moves
everything else.

Reservation counts are kept per day, each under that day's version: a booking or a
cancellation bumps the version of the one day it touched (``invalidate_day``), so only that
day is read again — every other day, and the rules, stay cached (D60). The versions are read
*before* the CRM is, so counts read while a booking lands are stored under the old version
and never served. A change that cannot be placed on a day bumps the epoch all keys carry.

A cache that fails (Redis down or slow, a corrupt entry) never fails the CRM call: every
method logs and answers "missing". After a Redis failure the cache stands aside for
``pause`` seconds, so an outage costs one short timeout, not one per call.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import redis.asyncio as aioredis
import structlog
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import Group

log = structlog.get_logger(__name__)

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)
_VERSION_SECONDS = 24 * 3600
_ENTRIES_KEPT = 2000  # memoized day names and decoded counts: then start again

# KEYS: the rules, the epoch, then one version key per day; ARGV: the counts' key prefix
# (``…:crm:taken:``), then the days. Returns the rules entry, the epoch, then per day its
# version and the counts stored under (epoch, day, version) — as ``read`` builds the keys
# it writes, a version that is not an integer reading as 0 on both sides.
_READ = """
local function version(raw)
  local n = tonumber(raw)
  if n == nil or n ~= math.floor(n) then return '0' end
  return string.format('%d', n)
end
local got = redis.call('mget', unpack(KEYS))
local epoch = version(got[2])
local out, counted = {got[1], epoch}, {}
for i = 3, #KEYS do
  out[#out + 1] = version(got[i])
  counted[#counted + 1] = ARGV[1] .. epoch .. ':' .. ARGV[i - 1] .. ':' .. out[#out]
end
if #counted > 0 then
  local counts = redis.call('mget', unpack(counted))
  for i = 1, #counted do table.insert(out, 2 + 2 * i, counts[i]) end
end
return out
"""


class ScheduleCache:
    """Schedule rules, per-day reservation counts and groups in Redis (real or fakeredis:
    the same code).

    ``op_timeout`` bounds each Redis command (seconds); ``pause`` is how long the cache is
    skipped after a Redis failure (seconds of the monotonic clock: an outage is real time).
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: RedisKeys,
        schedule_ttl: timedelta = timedelta(minutes=15),
        groups_ttl: timedelta = timedelta(hours=1),
        op_timeout: float = 0.5,
        pause: float = 30.0,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._schedule_ttl = schedule_ttl
        self._groups_ttl = groups_ttl
        self._op_timeout = op_timeout
        self._pause = pause
        self._resume_at = 0.0
        # the last rules entry read, and what it decoded to: the same entry gives the same
        # list object back, so a caller may keep what it derived from it (``is`` check)
        self._rules_seen: tuple[Any, datetime, list[dict[str, Any]]] | None = None
        self._read_lua = redis.register_script(_READ)
        self._rules_key, self._epoch_key = keys.crm_cache("rules"), keys.crm_cache_epoch()
        self._taken_prefix = keys.crm_cache("taken", "")  # + "{epoch}:{day}:{version}"
        self._named_days: dict[date, tuple[str, str]] = {}
        self._counts_seen: dict[Any, tuple[datetime, dict[int, int] | None]] = {}

    async def get_rules(self, *, now: datetime) -> list[dict[str, Any]] | None:
        """The CRM's schedule rules as it sent them, if younger than the schedule TTL. While
        the stored entry stays the same, every call returns the same list object."""
        return (await self.read([], now=now)).rules

    async def lookup_taken(self, days: Sequence[date], *, now: datetime) -> TakenLookup | None:
        """The days' cached reservation counts, and the keys to store missing ones under;
        None when Redis is unavailable. Take it *before* reading the CRM."""
        return (await self.read(days, now=now)).taken

    async def read(self, days: Sequence[date], *, now: datetime) -> CachedSchedule:
        """``get_rules`` and ``lookup_taken`` of ``days`` in one round trip: a script reads
        the rules, the epoch and each day's version, and the counts stored under them."""
        named = [self._day_names(day) for day in days]
        keys = [self._rules_key, self._epoch_key, *(version_key for _, version_key in named)]
        args = [self._taken_prefix, *(iso for iso, _ in named)]
        ok, raw = await self._run("get", lambda: self._read_lua(keys, args))
        if not ok or not isinstance(raw, list) or len(raw) != 2 + 2 * len(days):
            return CachedSchedule(rules=None, taken=None)
        epoch = _version(raw[1])
        found: dict[date, dict[int, int]] = {}
        taken_keys: dict[date, str] = {}
        for n, (day, (iso, _)) in enumerate(zip(days, named, strict=True)):
            version, entry = _version(raw[2 + 2 * n]), raw[3 + 2 * n]
            taken_keys[day] = f"{self._taken_prefix}{epoch}:{iso}:{version}"
            counts = self._counts_of(entry, now=now)
            if counts is not None:
                found[day] = counts
        taken = TakenLookup(keys=taken_keys, found=found)
        return CachedSchedule(rules=self._rules(raw[0], now=now), taken=taken)

    def _day_names(self, day: date) -> tuple[str, str]:
        """The day as the keys write it, and its version key (memoized: built per read)."""
        names = self._named_days.get(day)
        if names is None:
            if len(self._named_days) >= _ENTRIES_KEPT:
                self._named_days.clear()
            iso = day.isoformat()
            names = self._named_days[day] = (iso, self._keys.crm_cache_day_version(iso))
        return names

    def _counts_of(self, raw: Any, *, now: datetime) -> dict[int, int] | None:
        """A day's counts if its entry is fresh; entries are decoded once (memoized by
        their bytes: an entry never changes, a new count is a new entry)."""
        if raw is None:
            return None
        seen = self._counts_seen.get(raw)
        if seen is None:
            decoded = _decoded(raw)
            if decoded is None:
                return None
            if len(self._counts_seen) >= _ENTRIES_KEPT:
                self._counts_seen.clear()
            seen = self._counts_seen[raw] = (decoded[0], _counts(decoded[1]))
        fetched_at, counts = seen
        return counts if _young(fetched_at, ttl=self._schedule_ttl, now=now) else None

    def _rules(self, raw: Any, *, now: datetime) -> list[dict[str, Any]] | None:
        if raw is None:
            return None
        seen = self._rules_seen
        if seen is None or seen[0] != raw:
            decoded = _decoded(raw)
            if decoded is None or not isinstance(decoded[1], list):
                return None
            seen = (raw, decoded[0], [i for i in decoded[1] if isinstance(i, dict)])
            self._rules_seen = seen
        return seen[2] if _young(seen[1], ttl=self._schedule_ttl, now=now) else None

    async def put_rules(self, records: Sequence[dict[str, Any]], *, now: datetime) -> None:
        entry = _entry(list(records), now=now)
        await self._set({self._keys.crm_cache("rules"): entry}, ttl=self._schedule_ttl)

    async def put_taken(
        self, lookup: TakenLookup, counts: dict[date, dict[int, int]], *, now: datetime
    ) -> None:
        """Store the counts of the days given, under the keys ``lookup`` took."""
        entries = {
            lookup.keys[day]: _entry({str(k): v for k, v in day_counts.items()}, now=now)
            for day, day_counts in counts.items()
            if day in lookup.keys
        }
        if entries:
            await self._set(entries, ttl=self._schedule_ttl)

    async def get_groups(self, *, now: datetime) -> list[Group] | None:
        key = self._keys.crm_cache("groups")
        items = await self._get(key, ttl=self._groups_ttl, now=now)
        return None if items is None else _load(Group, items)

    async def put_groups(self, groups: Sequence[Group], *, now: datetime) -> None:
        entry = _entry([g.model_dump(mode="json") for g in groups], now=now)
        await self._set({self._keys.crm_cache("groups"): entry}, ttl=self._groups_ttl)

    async def invalidate_day(self, day: date) -> None:
        """Orphan the cached counts of ``day`` (after a booking or a cancellation on it).
        Tried even while the cache stands aside: a missed invalidation would serve stale
        places. The version outlives every entry it guards (a day against 15 minutes)."""
        await self._bump(self._keys.crm_cache_day_version(day.isoformat()))

    async def invalidate_all(self) -> None:
        """Orphan every cached day (a change whose day is not known)."""
        await self._bump(self._keys.crm_cache_epoch())

    async def _bump(self, key: str) -> None:
        self._resume_at = 0.0

        async def bump() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, _VERSION_SECONDS)
                await pipe.execute()

        await self._run("invalidate", bump)

    async def _get(self, key: str, *, ttl: timedelta, now: datetime) -> Any:
        ok, raw = await self._run("get", lambda: self._redis.get(key))
        return _fresh(raw, ttl=ttl, now=now) if ok else None

    async def _set(self, entries: dict[str, str], *, ttl: timedelta) -> None:
        expire = max(math.ceil(ttl.total_seconds()), 1)

        async def put() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, entry in entries.items():
                    pipe.set(key, entry, ex=expire)
                await pipe.execute()

        await self._run("put", put)

    async def _run(
        self, operation: str, command: Callable[[], Awaitable[_T]]
    ) -> tuple[bool, _T | None]:
        """``(True, result)``, or ``(False, None)`` when Redis failed or is being skipped."""
        if time.monotonic() < self._resume_at:
            return False, None
        try:
            async with asyncio.timeout(self._op_timeout):
                return True, await command()
        except (RedisError, OSError, TimeoutError) as exc:
            self._resume_at = time.monotonic() + self._pause
            _log_failure(operation, exc)
            return False, None


@dataclass(frozen=True, slots=True)
class CachedSchedule:
    """One ``read``: the rules (None when missing or stale) and the days' lookup (None when
    Redis is unavailable)."""

    rules: list[dict[str, Any]] | None
    taken: TakenLookup | None


@dataclass(frozen=True, slots=True)
class TakenLookup:
    """Per day: the key its counts live under (in the version read), and the counts found."""

    keys: dict[date, str]
    found: dict[date, dict[int, int]]


def _version(raw: Any) -> int:
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


def _entry(value: Any, *, now: datetime) -> str:
    return json.dumps({"fetched_at": now.isoformat(), "value": value})


def _fresh(raw: Any, *, ttl: timedelta, now: datetime) -> Any:
    """The value of an entry younger than ``ttl``; None for a missing, stale or corrupt one."""
    decoded = _decoded(raw)
    return decoded[1] if decoded is not None and _young(decoded[0], ttl=ttl, now=now) else None


def _decoded(raw: Any) -> tuple[datetime, Any] | None:
    """An entry's ``(fetched_at, value)``; None for a missing or corrupt one."""
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
        return datetime.fromisoformat(entry["fetched_at"]), entry["value"]
    except (ValueError, KeyError, TypeError) as exc:
        _log_failure("decode", exc)
        return None


def _young(fetched_at: datetime, *, ttl: timedelta, now: datetime) -> bool:
    """Fetched less than ``ttl`` before ``now``. An entry "from the future" (a clock moved
    back), or with a time that cannot be compared, is not trusted either."""
    try:
        age = now - fetched_at
    except TypeError as exc:
        _log_failure("decode", exc)
        return False
    return timedelta(0) <= age < ttl


def _counts(value: Any) -> dict[int, int] | None:
    if not isinstance(value, dict):
        return None
    try:
        return {int(k): int(v) for k, v in value.items()}
    except (ValueError, TypeError):
        return None


def _load(model: type[_M], items: Any) -> list[_M] | None:
    if not isinstance(items, list):
        return None
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        _log_failure("decode", exc)
        return None


def _log_failure(operation: str, exc: BaseException) -> None:
    log.warning("crm_cache_failed", operation=operation, error=type(exc).__name__)
