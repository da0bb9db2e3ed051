"""A Redis key one owner holds for a while (a lock, a claim): taken with a random token
(``SET NX PX``) and given up only by the holder of that token (compare-and-delete in Lua), so
an owner whose time ran out cannot delete the key of the one who took it next."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

_GIVE_UP = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


async def take(redis: Redis, key: str, *, ttl_seconds: float) -> str | None:
    """The owner's token when ``key`` was free and is now held for ``ttl_seconds``, else None."""
    token = uuid.uuid4().hex
    taken = await redis.set(key, token, nx=True, px=int(ttl_seconds * 1000))
    return token if taken else None


async def give_up(redis: Redis, key: str, token: str) -> None:
    """Delete ``key`` if ``token`` still holds it; otherwise (expired, taken by another)
    nothing."""
    await redis.eval(_GIVE_UP, 1, key, token)  # type: ignore[misc]
