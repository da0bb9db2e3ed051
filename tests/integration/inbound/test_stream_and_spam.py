"""The durable inbound stream and the spam filter, on real Redis and the embedded one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from dancebot.adapters.inbound.spam import SpamFilter
from dancebot.adapters.inbound.stream import InboundStream
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, UnifiedMessage
from dancebot.entrypoints.app import check_settings
from dancebot.entrypoints.channels import ConfigurationError
from dancebot.entrypoints.settings import Settings

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _msg(n: int, *, at: datetime = T0, chat: str = "1") -> UnifiedMessage:
    return UnifiedMessage(
        channel=Channel.TELEGRAM, chat_id=chat, message_id=str(n), timestamp=at, text=f"m{n}"
    )


@pytest.fixture
def stream(redis: aioredis.Redis, key_prefix: str) -> InboundStream:
    return InboundStream(redis, keys=RedisKeys(prefix=key_prefix))


async def test_ingest_is_durable_and_deduplicated(stream: InboundStream) -> None:
    await stream.ensure_group()
    await stream.ensure_group()  # idempotent
    assert await stream.ingest(_msg(1)) is True
    assert await stream.ingest(_msg(1)) is False  # the channel re-delivered it
    entries = await stream.read("c1", block_ms=10)
    assert [e.message.text if e.message else None for e in entries] == ["m1"]


async def test_an_edit_is_not_a_duplicate_of_its_message(stream: InboundStream) -> None:
    await stream.ensure_group()
    assert await stream.ingest(_msg(1))
    edited = _msg(1, at=T0 + timedelta(seconds=30)).model_copy(
        update={"is_edit": True, "text": "e"}
    )
    assert await stream.ingest(edited)


async def test_a_dead_consumers_entries_are_reclaimed(stream: InboundStream) -> None:
    await stream.ensure_group()
    await stream.ingest(_msg(1))
    await stream.ingest(_msg(2))
    taken = await stream.read("dead-consumer", block_ms=10)
    assert len(taken) == 2  # read, never acknowledged: the consumer died
    assert await stream.read("alive", block_ms=10) == []
    reclaimed = await stream.reclaim("alive", min_idle_ms=0)
    assert [e.message.text for e in reclaimed if e.message] == ["m1", "m2"]
    for entry in reclaimed:
        await stream.ack(entry.entry_id)
    assert await stream.pending() == 0
    assert await stream.reclaim("alive", min_idle_ms=0) == []


async def test_more_than_five_messages_in_ten_seconds_are_dropped(
    redis: aioredis.Redis, key_prefix: str
) -> None:
    spam = SpamFilter(redis, keys=RedisKeys(prefix=key_prefix))
    window = T0.replace(second=0)
    verdicts = [await spam.allows(_msg(n, at=window + timedelta(seconds=n))) for n in range(7)]
    assert verdicts == [True] * 5 + [False] * 2
    assert await spam.allows(_msg(9, at=window + timedelta(seconds=11)))  # the next window
    assert await spam.allows(_msg(10, at=window, chat="2"))  # another chat is not affected


def test_production_refuses_telegram_without_a_webhook_secret() -> None:
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        check_settings(Settings(dancebot_env="production", telegram_bot_token="t"))
    check_settings(
        Settings(dancebot_env="production", telegram_bot_token="t", telegram_webhook_secret="s")
    )
    check_settings(Settings(dancebot_env="development", telegram_bot_token="t"))
