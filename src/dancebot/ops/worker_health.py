"""The worker's health check for compose: ``dancebot worker --check`` (for people) and
``python -m dancebot.ops.worker_health`` (the container probe: no application imports).

A running arq worker rewrites its health key every ``WORKER_HEALTH_EVERY_SECONDS`` from its
main loop, with a time to live just above that; the key is there exactly while a worker's loop
turns. The check reads it from the Redis in ``REDIS_URL`` under ``DANCEBOT_REDIS_PREFIX``.
"""

from __future__ import annotations

import sys

import redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.entrypoints.settings import Settings

WORKER_HEALTH_EVERY_SECONDS = 15
_SOCKET_TIMEOUT_SECONDS = 3.0


def worker_health(settings: Settings) -> tuple[bool, str]:
    """Whether a worker of this deployment is alive, and what it last reported (arq's line:
    jobs complete, failed, retried, ongoing, queued). Never raises."""
    if settings.redis_url is None:
        return False, "REDIS_URL is not set"
    keys = RedisKeys(prefix=settings.redis_key_prefix)
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=_SOCKET_TIMEOUT_SECONDS,
    )
    try:
        value = client.get(keys.worker_health())
    except redis.RedisError as exc:
        return False, f"Redis unreachable: {type(exc).__name__}"
    finally:
        client.close()
    if value is None:
        return False, "no worker heartbeat (the worker is not running, or its loop is stuck)"
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return True, text


def main() -> int:
    healthy, detail = worker_health(Settings())
    print(("healthy: " if healthy else "unhealthy: ") + detail)
    return 0 if healthy else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
