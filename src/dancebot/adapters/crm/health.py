"""The CRM's line in ``/health``, cheap enough for a probe every few seconds: the breaker's
state (Redis) and the last real check, cached in Redis for a short while — never a CRM call
per probe, and a failed probe never counts against the breaker (``CircuitBreakerCRM.probe``).
"""

from __future__ import annotations

import structlog
from redis.asyncio import Redis

from dancebot.adapters.crm.breaker import BreakerState, CircuitBreakerCRM
from dancebot.adapters.storage.keys import RedisKeys

log = structlog.get_logger(__name__)

CHECK_EVERY_SECONDS = 30


class CrmHealth:
    def __init__(
        self,
        breaker: CircuitBreakerCRM,
        *,
        redis: Redis,
        keys: RedisKeys,
        check_every_seconds: int = CHECK_EVERY_SECONDS,
    ) -> None:
        self._breaker = breaker
        self._redis = redis
        self._key = keys.crm_health()
        self._ttl = check_every_seconds

    async def status(self) -> str:
        """ "ok", "down" or "unknown". An open (or half-open) breaker says "down" without a
        call; otherwise the cached answer, or one real check when the cache is empty. Of
        several probes at once only one calls the CRM (SET NX); the rest see "ok" until the
        answer is in. Never raises."""
        try:
            if await self._breaker.state() is not BreakerState.CLOSED:
                return "down"
            cached = await self._redis.get(self._key)
            if cached is not None:
                return cached.decode() if isinstance(cached, bytes) else str(cached)
            if not await self._redis.set(self._key, "ok", nx=True, ex=self._ttl):
                return "ok"  # another probe is checking right now
        except Exception as exc:  # Redis down: /health says so on its own line
            log.warning("crm_health_unknown", error_type=type(exc).__name__)
            return "unknown"
        healthy = await self._breaker.probe()
        answer = "ok" if healthy else "down"
        try:
            await self._redis.set(self._key, answer, ex=self._ttl)
        except Exception as exc:
            log.warning("crm_health_not_cached", error_type=type(exc).__name__)
        return answer
