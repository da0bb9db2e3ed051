"""A restart of the app and the worker loses no fallback request and no chat in the admin's
hands (real Redis and PostgreSQL; the emulator keeps its state in a file across the restart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis
from tests.conftest import REDIS_URL

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def _process(
    settings: Settings,
    clock: VirtualClock,
    keys: RedisKeys,
    outbox: ConsoleOutbox,
    admin: ConsoleAdminNotifier,
) -> AsyncIterator[Services]:
    redis = aioredis.from_url(REDIS_URL)
    async with build_services(
        settings, clock=clock, outbox=outbox, admin=admin, keys=keys, redis=redis
    ) as services:
        yield services


async def test_restart_loses_no_fallback_request_and_no_handoff(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        impulse_emulator_seed=PROJECT / "seeds/studio_tatyana.yaml",
        impulse_emulator_state=str(tmp_path / "crm.json"),
        redis_url=REDIS_URL,
        database_url=postgres_database,
        DANCEBOT_VAR_DIR=tmp_path,
    )
    clock = VirtualClock(datetime.fromisoformat("2026-03-02T10:00:00+10:00"))
    keys = RedisKeys(prefix=key_prefix)
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    booker = ConsoleChat(clock=clock, chat_id="8001", channel=Channel.TELEGRAM)
    talker = ConsoleChat(
        clock=clock, chat_id="79145550802", channel=Channel.WHATSAPP, sender_phone="+79145550802"
    )

    async with _process(settings, clock, keys, outbox, admin) as first:
        await first.pipeline.handle(booker.message("контемп в среду в 19, Мария +7 914 555-08-01"))
        assert first.emulator is not None
        first.emulator.set_fault("down")
        await first.pipeline.handle(booker.message("да"))
        assert await first.fallback_queue_size() == 1
        await first.pipeline.handle(talker.message("хочу поговорить с человеком"))
        assert await first.pipeline.handle_admin("/reply 79145550802 Слушаю вас!") == "relayed"
        first.emulator.set_fault("none")  # the CRM comes back while we are down

    clock.advance(timedelta(minutes=30))  # the restart took a while
    outbox.drain()
    async with _process(settings, clock, keys, outbox, admin) as second:
        assert await second.fallback_queue_size() in (0, 1)  # recovery may already have run
        session = await second.deps.sessions.load(Channel.WHATSAPP, "79145550802")
        assert session is not None and session.state == State.ADMIN_RESPONDING
        assert await second.pipeline.handle(talker.message("ау, вы тут?")) == []  # still relayed
        await second.run_due(clock.now())  # the worker's first tick after the restart
        assert await second.fallback_queue_size() == 0
        assert any("вы записаны" in m.text for m in outbox.drain() if m.chat_id == "8001")
        assert second.emulator is not None
        state = second.emulator.snapshot()
        maria = {c["id"] for c in state["client"] if c["phone"] == "79145550801"}
        assert len([r for r in state["reservation"] if r["client"] in maria]) == 1
        assert await second.pipeline.handle_admin("/close 79145550802") == "closed"
    cleanup = aioredis.from_url(REDIS_URL)
    async for key in cleanup.scan_iter(match=f"{key_prefix}:*"):
        await cleanup.delete(key)
    await cleanup.aclose()
