"""The conversation consumers: read the durable inbound stream, drop spam, run the
pipeline (one chat at a time, in order), acknowledge. Entries a dead consumer left behind
are reclaimed; an entry still being processed is kept fresh by a heartbeat, so a long turn
is never reclaimed (and answered twice) by another consumer. Many app replicas may run these
against one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Mapping

import structlog

from dancebot.adapters.inbound.spam import SpamFilter
from dancebot.adapters.inbound.stream import Entry, InboundStream
from dancebot.adapters.metrics import INBOUND_DROPPED, INBOUND_PROCESSED, REPLY_SECONDS
from dancebot.dialogue.pipeline import InboundPipeline
from dancebot.domain.messages import Channel, UnifiedMessage
from dancebot.ports.channels import ChannelSender

log = structlog.get_logger(__name__)

RECLAIM_EVERY_SECONDS = 30.0
RECLAIM_IDLE_MS = 60_000
TYPING_AFTER_SECONDS = 1.0


class ConversationConsumers:
    def __init__(
        self,
        stream: InboundStream,
        pipeline: InboundPipeline,
        *,
        spam: SpamFilter,
        senders: Mapping[Channel, ChannelSender],
        count: int = 2,
        reclaim_idle_ms: int = RECLAIM_IDLE_MS,
    ) -> None:
        self._stream = stream
        self._pipeline = pipeline
        self._spam = spam
        self._senders = senders
        self._count = count
        self._reclaim_idle_ms = reclaim_idle_ms
        self._host = f"{socket.gethostname()}-{id(self):x}"

    async def run(self, stop: asyncio.Event) -> None:
        await self._stream.ensure_group()
        await asyncio.gather(*(self._loop(f"{self._host}-{n}", stop) for n in range(self._count)))

    async def _loop(self, consumer: str, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_reclaim = 0.0
        while not stop.is_set():
            try:
                entries: list[Entry] = []
                if loop.time() >= next_reclaim:
                    entries += await self._stream.reclaim(
                        consumer, min_idle_ms=self._reclaim_idle_ms
                    )
                    next_reclaim = loop.time() + RECLAIM_EVERY_SECONDS
                entries += await self._stream.read(consumer, block_ms=500)
                for entry in entries:
                    await self.handle_entry(entry, consumer=consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis blips: keep consuming, never die
                log.error("consumer_error", consumer=consumer, error_type=type(exc).__name__)
                await asyncio.sleep(1.0)

    async def handle_entry(self, entry: Entry, *, consumer: str) -> None:
        """Process one entry, then acknowledge it (an exception leaves it for a reclaim)."""
        if entry.message is not None:
            heartbeat = asyncio.create_task(self._heartbeat(consumer, entry.entry_id))
            try:
                await self._process(entry.message)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
        await self._stream.ack(entry.entry_id)

    async def _heartbeat(self, consumer: str, entry_id: str) -> None:
        """Touch the entry every third of the reclaim time while it is processed."""
        every = self._reclaim_idle_ms / 3000
        while True:
            await asyncio.sleep(every)
            try:
                await self._stream.touch(consumer, entry_id)
            except Exception as exc:  # Redis blips: the next beat tries again
                log.warning("consumer_heartbeat_failed", error_type=type(exc).__name__)

    async def _process(self, message: UnifiedMessage) -> None:
        if message.from_admin_chat:  # the studio's own admins: no spam limit, no "typing"
            await self._pipeline.process(message)
            return
        if not await self._spam.allows(message):
            INBOUND_DROPPED.labels(message.channel.value, "spam").inc()
            log.info("inbound_spam_dropped", chat_id=message.chat_id, trace_id=message.trace_id)
            return
        typing = asyncio.create_task(self._typing_later(message))
        started = time.perf_counter()
        try:
            await self._pipeline.process(message)
            REPLY_SECONDS.labels(message.channel.value).observe(time.perf_counter() - started)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        INBOUND_PROCESSED.labels(message.channel.value).inc()

    async def _typing_later(self, message: UnifiedMessage) -> None:
        """ "печатает…" when an answer takes longer than a moment (the CRM, later the LLM)."""
        await asyncio.sleep(TYPING_AFTER_SECONDS)
        sender = self._senders.get(message.channel)
        if sender is not None:
            await sender.typing(message.chat_id)
