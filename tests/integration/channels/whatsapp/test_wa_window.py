"""The 24 h customer-service window in Redis, judged by the caller's clock; on the real Redis
and the embedded one with the same tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.channels.whatsapp.window import ConversationWindow
from dancebot.adapters.storage.keys import RedisKeys

MSK = timezone(timedelta(hours=3))
WROTE = datetime(2025, 3, 10, 18, 30, tzinfo=MSK)
WA_ID = "79991234567"


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
def window(redis: aioredis.Redis, keys: RedisKeys) -> ConversationWindow:
    return ConversationWindow(redis, keys=keys)


async def test_a_chat_that_never_wrote_has_no_window(window: ConversationWindow) -> None:
    assert await window.is_open(WA_ID, WROTE) is False
    assert await window.last_inbound(WA_ID) is None


async def test_the_window_is_open_for_24_hours_after_the_client_wrote(
    window: ConversationWindow,
) -> None:
    await window.opened(WA_ID, WROTE)
    assert await window.is_open(WA_ID, WROTE) is True
    assert await window.is_open(WA_ID, WROTE + timedelta(hours=23, minutes=59, seconds=59))
    assert await window.is_open(WA_ID, WROTE + timedelta(hours=24)) is False
    assert await window.is_open(WA_ID, WROTE + timedelta(days=3)) is False


async def test_a_new_message_reopens_the_window(window: ConversationWindow) -> None:
    await window.opened(WA_ID, WROTE)
    later = WROTE + timedelta(hours=30)
    assert await window.is_open(WA_ID, later) is False
    await window.opened(WA_ID, later)
    assert await window.is_open(WA_ID, later + timedelta(hours=20)) is True
    assert await window.last_inbound(WA_ID) == later.astimezone(UTC)


async def test_a_late_webhook_with_an_older_time_does_not_shrink_the_window(
    window: ConversationWindow,
) -> None:
    newer = WROTE + timedelta(hours=5)
    await window.opened(WA_ID, newer)
    await window.opened(WA_ID, WROTE)
    assert await window.last_inbound(WA_ID) == newer.astimezone(UTC)
    assert await window.is_open(WA_ID, WROTE + timedelta(hours=26)) is True


async def test_windows_are_per_chat(window: ConversationWindow) -> None:
    await window.opened(WA_ID, WROTE)
    assert await window.is_open("79990000001", WROTE) is False


async def test_the_key_comes_from_the_key_builder_and_expires(
    window: ConversationWindow, redis: aioredis.Redis, keys: RedisKeys
) -> None:
    await window.opened(WA_ID, WROTE)
    key = keys.wa_window(WA_ID)
    assert key == f"{keys.prefix}:wa:window:{WA_ID}"
    ttl = await redis.ttl(key)
    assert 24 * 3600 < ttl <= 25 * 3600


async def test_sub_second_times_are_kept(window: ConversationWindow) -> None:
    at = WROTE.replace(microsecond=250_000)
    await window.opened(WA_ID, at)
    assert await window.is_open(WA_ID, at + timedelta(hours=24) - timedelta(milliseconds=100))
    assert await window.is_open(WA_ID, at + timedelta(hours=24)) is False
