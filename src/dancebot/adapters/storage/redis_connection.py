"""The one Redis client a process uses: the real server, or fakeredis as the embedded default.

Responses are **bytes** (``decode_responses=False``) everywhere: values are JSON documents
written as bytes and parsed with pydantic, which accepts bytes directly, and arq (which shares
the server in production) needs undecoded responses too. Everyone holding this client — the
session/profile stores, the idempotency guard, the CRM cache — must expect ``bytes`` back.
"""

from __future__ import annotations

import importlib.util

import redis.asyncio as aioredis
import structlog

log = structlog.get_logger(__name__)

# A command, or a connection attempt, that gets no answer within this many seconds fails with
# ``redis.exceptions.TimeoutError`` instead of hanging the process (a stalled server, a
# half-open TCP connection). It must stay above the longest blocking read (XREADGROUP waits
# up to 1 s).
DEFAULT_SOCKET_TIMEOUT_SECONDS = 5.0
HEALTH_CHECK_INTERVAL_SECONDS = 30


def embedded_supports_lua() -> bool:
    """Whether fakeredis can run ``EVAL``/Lua scripts here (it needs the ``lupa`` package,
    installed by the ``fakeredis[lua]`` extra)."""
    return importlib.util.find_spec("lupa") is not None


def make_redis(
    url: str | None, *, socket_timeout: float = DEFAULT_SOCKET_TIMEOUT_SECONDS
) -> aioredis.Redis:
    """A Redis client for ``url`` (``redis://`` / ``rediss://`` / ``unix://``), or, when ``url``
    is None, an in-process fakeredis with its own empty data set.

    Create it once per process and share it: two embedded clients do not see each other's
    data. Nothing is connected here; the first command connects and raises
    ``redis.exceptions.ConnectionError`` when the server is unreachable. A malformed URL
    raises ``ValueError`` at once.
    """
    if url is None:
        # imported here: a process on a real Redis never loads fakeredis
        from fakeredis import FakeServer
        from fakeredis.aioredis import FakeRedis

        if not embedded_supports_lua():
            # Only matters to code that runs Lua scripts (rate limits, locks with owner tokens).
            log.warning("embedded_redis_without_lua", hint="install fakeredis[lua]")
        fake: aioredis.Redis = FakeRedis(server=FakeServer(), decode_responses=False)
        return fake
    return aioredis.from_url(
        url,
        decode_responses=False,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        health_check_interval=HEALTH_CHECK_INTERVAL_SECONDS,
    )
