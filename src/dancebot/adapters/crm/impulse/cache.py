"""A Redis cache of CRM reads (RFC §20.3): schedules 15 min, groups 1 h.

Freshness is judged by the caller's clock, not by Redis alone: every entry stores its
``fetched_at`` and an entry older than its TTL is treated as missing (the Redis ``EX`` is only
a cleanup bound). So the virtual clock of tests and scenarios moves the cache as it moves
everything else. Schedule keys carry a generation number; a booking or a cancellation bumps it
(``invalidate_schedule``), which orphans every older schedule entry without a SCAN.

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
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import redis.asyncio as aioredis
import structlog
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import Group, Lesson

log = structlog.get_logger(__name__)

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)


class ScheduleCache:
    """Schedule and group lists in Redis (real or fakeredis: the same code).

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

    async def schedule_key(
        self,
        *,
        date_from: date,
        date_to: date,
        style_id: int | None = None,
        group_id: int | None = None,
    ) -> str | None:
        """The key of this schedule query in the current generation, or None when Redis is
        unavailable. Take it *before* reading the CRM: if a booking lands meanwhile, the
        result is stored under the old generation and never served."""
        key = self._keys.crm_cache_generation()
        ok, raw = await self._run("generation", lambda: self._redis.get(key))
        if not ok:
            return None
        try:
            generation = int(raw) if raw is not None else 0
        except ValueError:
            generation = 0
        return self._keys.crm_cache(
            "schedule",
            generation,
            date_from.isoformat(),
            date_to.isoformat(),
            "-" if style_id is None else style_id,
            "-" if group_id is None else group_id,
        )

    async def get_lessons(self, key: str, *, now: datetime) -> list[Lesson] | None:
        """The cached lessons under ``key`` if younger than the schedule TTL, else None."""
        items = await self._get(key, ttl=self._schedule_ttl, now=now)
        return None if items is None else _load(Lesson, items)

    async def put_lessons(self, key: str, lessons: Sequence[Lesson], *, now: datetime) -> None:
        await self._put(key, lessons, ttl=self._schedule_ttl, now=now)

    async def get_groups(self, *, now: datetime) -> list[Group] | None:
        key = self._keys.crm_cache("groups")
        items = await self._get(key, ttl=self._groups_ttl, now=now)
        return None if items is None else _load(Group, items)

    async def put_groups(self, groups: Sequence[Group], *, now: datetime) -> None:
        await self._put(self._keys.crm_cache("groups"), groups, ttl=self._groups_ttl, now=now)

    async def invalidate_schedule(self) -> None:
        """Orphan every cached schedule (after a booking or a cancellation). Tried even
        while the cache stands aside: a missed invalidation would serve stale places."""
        self._resume_at = 0.0
        key = self._keys.crm_cache_generation()
        await self._run("invalidate", lambda: self._redis.incr(key))

    async def _get(self, key: str, *, ttl: timedelta, now: datetime) -> list[Any] | None:
        ok, raw = await self._run("get", lambda: self._redis.get(key))
        if not ok or raw is None:
            return None
        try:
            entry = json.loads(raw)
            fetched_at = datetime.fromisoformat(entry["fetched_at"])
            items = entry["value"]
            age = now - fetched_at
        except (ValueError, KeyError, TypeError) as exc:
            _log_failure("decode", exc)
            return None
        # an entry "from the future" (a clock moved back) is not trusted either
        if age < timedelta(0) or age >= ttl or not isinstance(items, list):
            return None
        return items

    async def _put(
        self, key: str, models: Sequence[BaseModel], *, ttl: timedelta, now: datetime
    ) -> None:
        entry = json.dumps(
            {
                "fetched_at": now.isoformat(),
                "value": [model.model_dump(mode="json") for model in models],
            }
        )
        expire = max(math.ceil(ttl.total_seconds()), 1)
        await self._run("put", lambda: self._redis.set(key, entry, ex=expire))

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


def _load(model: type[_M], items: list[Any]) -> list[_M] | None:
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        _log_failure("decode", exc)
        return None


def _log_failure(operation: str, exc: BaseException) -> None:
    log.warning("crm_cache_failed", operation=operation, error=type(exc).__name__)
