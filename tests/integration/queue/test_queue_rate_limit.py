"""The outbound rate limits, on the real Redis and on the embedded fakeredis (same Lua), judged
by the limiter's decisions: 0 = go now, otherwise the seconds to wait."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from tests.conftest import REDIS_URL

from dancebot.adapters.queue.rate_limit import ChannelLimits, ChannelRateLimits
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage


def _to(chat_id: str, channel: Channel = Channel.TELEGRAM) -> OutboundMessage:
    return OutboundMessage(channel=channel, chat_id=chat_id, text="Привет")


@pytest.fixture
def limits(redis: aioredis.Redis, key_prefix: str) -> ChannelRateLimits:
    return ChannelRateLimits.on_redis(redis, keys=RedisKeys(prefix=key_prefix))


async def test_thirty_messages_to_one_chat_go_one_per_second(limits: ChannelRateLimits) -> None:
    waits = await asyncio.gather(*(limits.acquire(_to("100")) for _ in range(30)))

    assert sorted(waits)[0] == 0.0
    assert all(0.0 < wait <= 1.0 for wait in sorted(waits)[1:])


async def test_the_next_message_to_a_chat_waits_about_a_second_and_then_goes(
    limits: ChannelRateLimits,
) -> None:
    assert await limits.acquire(_to("100")) == 0.0
    wait = await limits.acquire(_to("100"))
    assert 0.9 <= wait <= 1.0
    await asyncio.sleep(wait)
    assert await limits.acquire(_to("100")) == 0.0


async def test_telegram_takes_thirty_chats_a_second(limits: ChannelRateLimits) -> None:
    waits = [await limits.acquire(_to(f"chat-{n}")) for n in range(31)]

    assert waits[:30] == [0.0] * 30
    assert 0.0 < waits[30] <= 1.0


async def test_a_full_channel_window_is_waited_for_when_allowed(
    limits: ChannelRateLimits,
) -> None:
    assert [await limits.acquire(_to(f"chat-{n}")) for n in range(30)] == [0.0] * 30

    # a chat that may not wait that long is told how long instead
    assert 0.0 < await limits.acquire(_to("chat-30"), wait_for_channel=0.01) <= 1.0
    # one that may wait two seconds: the window frees within one, so it goes
    assert await limits.acquire(_to("chat-31"), wait_for_channel=2.0) == 0.0


async def test_whatsapp_takes_eighty_a_second_and_has_no_chat_limit(
    limits: ChannelRateLimits,
) -> None:
    waits = [await limits.acquire(_to("79991234567", Channel.WHATSAPP)) for _ in range(81)]

    assert waits[:80] == [0.0] * 80
    assert 0.0 < waits[80] <= 1.0


async def test_a_busy_chat_does_not_use_up_the_channel(limits: ChannelRateLimits) -> None:
    for _ in range(40):  # one chat keeps asking; only its first message takes a channel slot
        await limits.acquire(_to("noisy"))

    waits = [await limits.acquire(_to(f"quiet-{n}")) for n in range(29)]

    assert waits == [0.0] * 29


async def test_the_console_is_never_limited(limits: ChannelRateLimits) -> None:
    waits = [await limits.acquire(_to("console", Channel.CONSOLE)) for _ in range(100)]

    assert set(waits) == {0.0}


@pytest.mark.redis
async def test_two_processes_share_the_windows(real_redis: aioredis.Redis, key_prefix: str) -> None:
    other = aioredis.from_url(REDIS_URL, decode_responses=False)
    keys = RedisKeys(prefix=key_prefix)
    first = ChannelRateLimits.on_redis(real_redis, keys=keys)
    second = ChannelRateLimits.on_redis(other, keys=keys)

    allowed_first = await first.acquire(_to("100"))
    wait_second = await second.acquire(_to("100"))
    await other.aclose()

    assert allowed_first == 0.0
    assert 0.0 < wait_second <= 1.0


async def test_in_memory_windows_and_custom_limits() -> None:
    limits = ChannelRateLimits.in_memory(
        limits={Channel.TELEGRAM: ChannelLimits(channel="2/second", per_chat="5/second")}
    )

    waits = [await limits.acquire(_to(f"c{n}")) for n in range(3)]

    assert waits[:2] == [0.0, 0.0]
    assert 0.0 < waits[2] <= 1.0


def test_a_malformed_limit_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        ChannelRateLimits.in_memory(limits={Channel.TELEGRAM: ChannelLimits(channel="lots")})
