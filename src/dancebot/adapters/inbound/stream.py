"""The durable inbound log: a Redis Stream with a consumer group (DESIGN §2).

``ingest`` is what a webhook does before answering 200: the dedup key and the stream entry
are written by one Lua script, so a crash cannot leave one without the other (a re-delivered
webhook whose first copy is already in the stream is dropped; one whose first copy never got
in is taken). Consumers read with XREADGROUP, acknowledge after processing, and reclaim
entries a dead consumer left unacknowledged (XAUTOCLAIM).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import UnifiedMessage

log = structlog.get_logger(__name__)

GROUP = "conversation"
DEDUP_WINDOW_SECONDS = 300
STREAM_MAXLEN = 100_000
_INGEST = """
if redis.call('set', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('xadd', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'message', ARGV[1])
end
return false
"""


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    message: UnifiedMessage | None  # None: an entry that does not parse (acknowledged, logged)


class InboundStream:
    def __init__(self, redis: Redis, *, keys: RedisKeys, group: str = GROUP) -> None:
        self._redis = redis
        self._keys = keys
        self._group = group
        self._stream = keys.inbound_stream()

    async def ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def ingest(self, message: UnifiedMessage) -> bool:
        """Durably log a message; False when it is a duplicate (seen within 5 minutes)."""
        seen = self._keys.seen(message.channel.value, message.dedup_key)
        added = await self._redis.eval(
            _INGEST,
            2,
            seen,
            self._stream,
            message.model_dump_json(),
            str(DEDUP_WINDOW_SECONDS),
            str(STREAM_MAXLEN),
        )
        return bool(added)

    async def read(self, consumer: str, *, count: int = 10, block_ms: int = 1000) -> list[Entry]:
        answer = await self._redis.xreadgroup(
            self._group, consumer, {self._stream: ">"}, count=count, block=block_ms
        )
        return [e for _, entries in (answer or []) for e in map(_entry, entries)]

    async def reclaim(
        self, consumer: str, *, min_idle_ms: int = 60_000, count: int = 50
    ) -> list[Entry]:
        """Entries another consumer read but never acknowledged (it died mid-way)."""
        answer = await self._redis.xautoclaim(
            self._stream,
            self._group,
            consumer,
            min_idle_time=min_idle_ms,
            start_id="0-0",
            count=count,
        )
        return [_entry(e) for e in answer[1]]

    async def touch(self, consumer: str, entry_id: str) -> None:
        """Reset the entry's idle time while ``consumer`` is still processing it (a
        heartbeat), so that no other consumer's ``reclaim`` takes a turn that is running."""
        await self._redis.xclaim(self._stream, self._group, consumer, 0, [entry_id], justid=True)

    async def ack(self, entry_id: str) -> None:
        await self._redis.xack(self._stream, self._group, entry_id)

    async def pending(self) -> int:
        info = await self._redis.xpending(self._stream, self._group)
        return int(info["pending"]) if isinstance(info, dict) else 0


def _entry(raw: tuple[bytes | str, dict[bytes, bytes]]) -> Entry:
    entry_id = raw[0].decode() if isinstance(raw[0], bytes) else raw[0]
    payload = raw[1].get(b"message") or raw[1].get("message")  # type: ignore[call-overload]
    try:
        return Entry(entry_id, UnifiedMessage.model_validate_json(payload))
    except (ValueError, TypeError) as exc:
        log.error("inbound_entry_unreadable", entry_id=entry_id, error=str(exc))
        return Entry(entry_id, None)
