"""A turn that outlives the stream's reclaim time is not taken by another consumer and
answered twice (issue 8 item 4): the consumer processing an entry keeps it fresh."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.e2e.crm_rig import open_rig, until

from dancebot.adapters.inbound.spam import SpamFilter
from dancebot.adapters.inbound.stream import InboundStream
from dancebot.entrypoints.consumers import ConversationConsumers

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

RECLAIM_IDLE_MS = 300


async def test_an_entry_whose_turn_is_running_is_not_reclaimed(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with open_rig(
        postgres_database,
        key_prefix,
        tmp_path,
        impulse_timeout_seconds=120,
        turn_deadline_seconds=120,
    ) as rig:
        stream = InboundStream(rig.services.redis, keys=rig.keys)
        await stream.ensure_group()
        consumers = ConversationConsumers(
            stream,
            rig.services.pipeline,
            spam=SpamFilter(rig.services.redis, keys=rig.keys),
            senders={},
            count=1,
            reclaim_idle_ms=RECLAIM_IDLE_MS,
        )
        chat = rig.chat(1)
        await rig.redis.incr(rig.keys.crm_cache_generation())  # the schedule is read live
        rig.emulator.set_fault("slow", 600)
        assert await stream.ingest(chat.message("расписание контемп на среду"))
        [entry] = await stream.read("first", block_ms=100)
        turn = asyncio.create_task(consumers.handle_entry(entry, consumer="first"))
        await until(lambda: rig.emulator.held == 1)  # the turn waits on the CRM

        loop = asyncio.get_running_loop()
        watched_until = loop.time() + 5 * RECLAIM_IDLE_MS / 1000
        while loop.time() < watched_until:  # a reclaiming consumer, again and again
            assert await stream.reclaim("second", min_idle_ms=RECLAIM_IDLE_MS) == []
            await asyncio.sleep(RECLAIM_IDLE_MS / 3000)

        rig.emulator.set_fault("none")
        await turn
        replies = rig.outbox.drain()
        assert len(replies) == 1 and "Contemporary" in replies[0].text
        assert await stream.pending() == 0
