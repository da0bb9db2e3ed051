"""TEST_MODE (contract §17): /debug, /trace, /reset, /budget in a chat."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import MONDAY_MORNING, PROJECT

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import VirtualClock
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings


async def test_debug_trace_reset_budget(tmp_path: Path) -> None:
    settings = Settings(
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        impulse_emulator_seed=PROJECT / "seeds/studio_tatyana.yaml",
        impulse_emulator_state="memory",
        impulse_base_url="http://crm.invalid",  # ignored: test mode always uses the emulator
        test_mode=True,
        DANCEBOT_VAR_DIR=tmp_path,
    )
    clock = VirtualClock(MONDAY_MORNING)
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    async with build_services(settings, clock=clock, outbox=outbox, admin=admin) as services:
        assert services.emulator is not None
        chat = ConsoleChat(clock=clock, chat_id="9")
        first = chat.message("Хочу на контемп")
        await services.pipeline.handle(first)
        outbox.drain()
        await services.pipeline.handle(chat.message("/debug"))
        debug = outbox.drain()[0].text
        assert "collecting_datetime" in debug and "contemporary" in debug
        await services.pipeline.handle(chat.message(f"/trace {first.trace_id}"))
        assert "Хочу на контемп" in outbox.drain()[0].text
        stranger = ConsoleChat(clock=clock, chat_id="10")
        await services.pipeline.handle(stranger.message(f"/trace {first.trace_id}"))
        refused = outbox.drain()[0].text  # another chat's trace is not shown
        assert "ничего не найдено" in refused and "Хочу на контемп" not in refused
        await services.pipeline.handle(chat.message("/budget"))
        assert "LLM" in outbox.drain()[0].text
        await services.pipeline.handle(chat.message("/reset"))
        assert "сброшена" in outbox.drain()[0].text
        session = await services.deps.sessions.load(chat.channel, "9")
        assert session is not None and session.state.value == "idle"


def test_test_mode_refuses_to_start_in_production() -> None:
    import pytest

    from dancebot.entrypoints.app import create_app
    from dancebot.entrypoints.settings import ConfigurationError
    from dancebot.entrypoints.worker_process import worker_for

    settings = Settings(dancebot_env="production", test_mode=True, redis_url="redis://x:6379")
    with pytest.raises(ConfigurationError, match="TEST_MODE"):
        create_app(settings)
    with pytest.raises(ConfigurationError, match="TEST_MODE"):
        worker_for(settings)
    create_app(Settings(dancebot_env="production", test_mode=False))  # the same, test mode off
    create_app(Settings(dancebot_env="development", test_mode=True))
