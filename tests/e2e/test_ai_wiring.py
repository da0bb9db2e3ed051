"""The AI layer as bootstrap wires it (LLM settings → the fake LLM over HTTP): the engine's
ports are the LLM generator and phraser, a breached budget is degradation L2 and is back
after its window, and TEST_MODE's /budget and /trace show the LLM."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.e2e.conftest import MONDAY_MORNING, PROJECT

from dancebot.adapters.channels.console.channel import (
    ConsoleAdminNotifier,
    ConsoleChat,
    ConsoleOutbox,
)
from dancebot.adapters.clock import VirtualClock
from dancebot.ai.generator import LlmCommandGenerator
from dancebot.ai.phraser import LlmPhraser
from dancebot.ai.providers import ProviderConfigError
from dancebot.domain.degradation import Level
from dancebot.entrypoints.bootstrap import build_services
from dancebot.entrypoints.settings import Settings
from dancebot.kb.loader import load_kb
from dancebot.testing.fake_llm import FakeLLM, serve_fake_llm


def _settings(tmp_path: Path, **llm: object) -> Settings:
    return Settings(
        _env_file=None,
        kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
        impulse_emulator_seed=PROJECT / "seeds/studio_tatyana.yaml",
        impulse_emulator_state="memory",
        test_mode=True,
        DANCEBOT_VAR_DIR=tmp_path,
        **llm,
    )


async def test_llm_settings_wire_the_ai_layer(tmp_path: Path) -> None:
    kb = load_kb(PROJECT / "knowledge/studio_tatyana.yaml")
    fake = FakeLLM()
    clock = VirtualClock(MONDAY_MORNING)
    outbox, admin = ConsoleOutbox(), ConsoleAdminNotifier()
    async with serve_fake_llm(fake, kb=kb) as url:
        settings = _settings(
            tmp_path,
            llm_provider="anthropic",
            llm_model="fake-model",
            llm_api_key="k",
            llm_base_url=url,
            budget_max_tokens_per_hour=1000,
        )
        async with build_services(settings, clock=clock, outbox=outbox, admin=admin) as services:
            assert isinstance(services.deps.command_generator, LlmCommandGenerator)
            assert isinstance(services.deps.phraser, LlmPhraser)
            assert services.ai is not None
            assert (await services.degradation.current()).level is Level.NORMAL

            # one understanding call (~3 500 fake tokens) breaks the 1 000 tokens/hour limit
            chat = ConsoleChat(clock=clock, chat_id="9")
            hello = chat.message("привет")
            await services.pipeline.handle(hello)
            outbox.drain()
            assert (await services.degradation.current()).level is Level.LLM_DOWN
            await services.pipeline.handle(chat.message("/budget"))
            budget = outbox.drain()[-1].text
            assert "токены за час" in budget and "L2" in budget
            await services.pipeline.handle(chat.message(f"/trace {hello.trace_id}"))
            assert "LLM understand:ok anthropic:fake-model" in outbox.drain()[-1].text
            # the LLM calls of another chat's trace are not shown either
            stranger = ConsoleChat(clock=clock, chat_id="10")
            await services.pipeline.handle(stranger.message(f"/trace {hello.trace_id}"))
            refused = outbox.drain()[-1].text
            assert "ничего не найдено" in refused and "LLM" not in refused

            clock.advance(timedelta(hours=1))
            assert (await services.degradation.current()).level is Level.NORMAL


async def test_llm_settings_that_cannot_work_stop_the_start(tmp_path: Path) -> None:
    clock = VirtualClock(MONDAY_MORNING)
    settings = _settings(tmp_path, llm_provider="openai", llm_model="m")  # no key
    with pytest.raises(ProviderConfigError):
        async with build_services(
            settings, clock=clock, outbox=ConsoleOutbox(), admin=ConsoleAdminNotifier()
        ):
            pass
