"""The budget guard's counters in Redis: one key per counter and fixed window, so every app
replica adds to the same numbers. Window starts come from the caller's clock (a virtual one
in tests); the keys' TTLs (real seconds) only clean up."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.budget import COUNTER_WINDOWS, Breach, BudgetUsage

_KEEP = timedelta(hours=1)  # a window's key outlives the window by this much


class RedisBudgetCounters:
    """The ``BudgetCounters`` of ``dancebot.ai.budget`` over Redis (INCRBY / INCRBYFLOAT)."""

    def __init__(self, redis: aioredis.Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    def _key(self, counter: str, now: datetime) -> tuple[str, int]:
        window = COUNTER_WINDOWS[counter]
        ttl = int((window.length + _KEEP).total_seconds())
        return self._keys.llm_budget(counter, int(window.start(now).timestamp())), ttl

    async def add(
        self, *, now: datetime, tokens: int, cost_usd: float, requests: int, errors: int
    ) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for counter, amount in (("tokens", tokens), ("requests", requests), ("errors", errors)):
            if amount:
                key, ttl = self._key(counter, now)
                pipe.incrby(key, amount)
                pipe.expire(key, ttl)
        if cost_usd:
            key, ttl = self._key("cost_usd", now)
            pipe.incrbyfloat(key, cost_usd)
            pipe.expire(key, ttl)
        await pipe.execute()

    async def usage(self, *, now: datetime) -> BudgetUsage:
        names = ("tokens", "cost_usd", "requests", "errors")
        values = await self._redis.mget([self._key(name, now)[0] for name in names])
        tokens, cost, requests, errors = (float(v) if v is not None else 0.0 for v in values)
        return BudgetUsage(
            tokens=int(tokens), cost_usd=cost, requests=int(requests), errors=int(errors)
        )

    async def claim_alert(self, breach: Breach, *, now: datetime) -> bool:
        window = COUNTER_WINDOWS[breach.counter]
        key = self._keys.llm_budget_alert(breach.counter, int(window.start(now).timestamp()))
        ttl = int((window.length + _KEEP).total_seconds())
        return bool(await self._redis.set(key, b"1", nx=True, ex=ttl))
