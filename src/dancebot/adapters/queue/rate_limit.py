"""Outbound rate limits per channel, shared by every worker process (contract §9).

Telegram: 30 messages a second for the bot, and about one a second in one chat (the Bot API
FAQ: "avoid sending more than one message per second in a particular chat"). WhatsApp Cloud
API: 80 a second for the phone number (the default throughput). Each limit is a ``limits``
moving window in Redis, so two workers together stay under it; with the embedded fakeredis
the same windows live in the process's fake server (one process, nothing to share).

``acquire`` takes the chat's slot first and the channel's second: a chat that is over its own
limit then costs nobody else a slot of the channel's. When the chat's slot was taken and the
channel's window is full, that chat slot is lost and the message waits one chat interval more
— a delay, never an excess.

The windows run on the wall clock of the worker process (``limits`` stamps entries with
``time.time()``), not on the ``Clock`` port: they pace real HTTP calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage

MIN_WAIT_SECONDS = 0.05  # a window that freed up between the hit and the look: try very soon


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """``limits`` strings, e.g. ``"30/second"``; ``per_chat`` None: no limit per chat."""

    channel: str
    per_chat: str | None = None


DEFAULT_LIMITS: Mapping[Channel, ChannelLimits] = {
    Channel.TELEGRAM: ChannelLimits(channel="30/second", per_chat="1/second"),
    Channel.WHATSAPP: ChannelLimits(channel="80/second"),
}


class ChannelRateLimits:
    """Decides whether a message may go now. A channel without limits (the console) always may.

    Raises ``ValueError`` at construction for a limit string ``limits`` cannot parse, and the
    storage's errors (``redis.RedisError``) from ``acquire``.
    """

    def __init__(
        self, storage: Storage, *, limits: Mapping[Channel, ChannelLimits] = DEFAULT_LIMITS
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[Channel, tuple[RateLimitItem, RateLimitItem | None]] = {
            channel: (parse(spec.channel), parse(spec.per_chat) if spec.per_chat else None)
            for channel, spec in limits.items()
        }

    @classmethod
    def on_redis(
        cls,
        redis: Redis,
        *,
        keys: RedisKeys,
        limits: Mapping[Channel, ChannelLimits] = DEFAULT_LIMITS,
    ) -> ChannelRateLimits:
        """Windows in the Redis ``redis`` talks to (the real server or the embedded fakeredis,
        which runs the same Lua scripts), sharing its connection pool."""
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=keys.rate_limits(),
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        return cls(storage, limits=limits)

    @classmethod
    def in_memory(
        cls, *, limits: Mapping[Channel, ChannelLimits] = DEFAULT_LIMITS
    ) -> ChannelRateLimits:
        """Windows in this process only: right for one process, wrong for several."""
        return cls(MemoryStorage(), limits=limits)

    async def acquire(self, message: OutboundMessage, *, wait_for_channel: float = 0.0) -> float:
        """0 when ``message`` may be sent now (its slots are taken), otherwise the seconds to
        wait before asking again (nothing is taken then, except as described above).

        ``wait_for_channel``: when the chat may send but the channel's window is full and
        frees within that many seconds, wait here for it (the chat's slot stays taken): a
        burst then leaves at the channel's pace, not in waves of deferred retries.
        """
        items = self._items.get(message.channel)
        if items is None:
            return 0.0
        channel_item, chat_item = items
        if chat_item is not None:
            chat = (message.channel.value, "chat", message.chat_id)
            if not await self._limiter.hit(chat_item, *chat):
                return await self._wait(chat_item, chat)
        channel = (message.channel.value,)
        waited = 0.0
        while not await self._limiter.hit(channel_item, *channel):
            wait = await self._wait(channel_item, channel)
            if waited + wait > wait_for_channel:
                return wait
            await asyncio.sleep(wait)
            waited += wait
        return 0.0

    async def _wait(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> float:
        stats = await self._limiter.get_window_stats(item, *identifiers)
        return max(stats.reset_time - time.time(), MIN_WAIT_SECONDS)
