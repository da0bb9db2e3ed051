"""The running summary of a chat's older turns for the LLM, in Redis (30 days, RFC §20.2)."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.ai.context_window import Summary

SUMMARY_TTL = timedelta(days=30)


class RedisSummaryStore:
    """The ``SummaryStore`` of ``dancebot.ai.context_window`` over a Redis hash."""

    def __init__(self, redis: aioredis.Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def load(self, channel: str, chat_id: str) -> Summary:
        raw = await self._redis.hgetall(self._keys.llm_summary(channel, chat_id))
        if not raw:
            return Summary()
        text = raw.get(b"text", b"").decode()
        until = raw.get(b"folded_until")
        return Summary(
            text=text, folded_until=datetime.fromisoformat(until.decode()) if until else None
        )

    async def save(self, channel: str, chat_id: str, summary: Summary) -> None:
        key = self._keys.llm_summary(channel, chat_id)
        mapping = {"text": summary.text}
        if summary.folded_until is not None:
            mapping["folded_until"] = summary.folded_until.isoformat()
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(key, mapping=mapping)
        pipe.expire(key, SUMMARY_TTL)
        await pipe.execute()
