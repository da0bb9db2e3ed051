"""The LLM of an eval run (``dancebot eval --llm off|fake|liar|real``).

``fake`` and ``liar`` start the fake LLM server (``dancebot.testing.fake_llm``) in process on
a localhost port and point the real provider code at it through the settings (Anthropic's
wire format): every scenario then runs through pydantic-ai, our parser, validation and the
policy enforcer over HTTP. ``real`` uses the provider the environment configures
(``LLM_PROVIDER``, ``LLM_MODEL``, ``LLM_API_KEY`` …).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from dancebot.entrypoints.settings import Settings
from dancebot.evaluation.harness import LlmSetup
from dancebot.kb.loader import load_kb
from dancebot.testing.fake_llm import FakeLLM, Mode, serve_fake_llm

FAKE_MODEL = "fake-model"
# scenarios run on a virtual clock that jumps hours: the real limits are tested elsewhere
_NO_BUDGET_LIMITS: dict[str, Any] = {
    "budget_max_tokens_per_hour": 10**12,
    "budget_max_cost_per_day_usd": 10.0**9,
    "budget_max_requests_per_minute": 10**9,
    "budget_max_errors_per_hour": 10**9,
}


class LlmMode(StrEnum):
    OFF = "off"
    FAKE = "fake"
    LIAR = "liar"
    REAL = "real"


class LlmNotConfigured(RuntimeError):
    """``--llm real`` without ``LLM_PROVIDER`` / ``LLM_MODEL`` / ``LLM_API_KEY``."""


def fake_settings(url: str, **overrides: Any) -> dict[str, Any]:
    """Settings that point the real provider code at a fake LLM server at ``url``."""
    return {
        "llm_provider": "anthropic",
        "llm_model": FAKE_MODEL,
        "llm_api_key": "fake-key",
        "llm_base_url": url,
        "llm_timeout_seconds": 5.0,
        **_NO_BUDGET_LIMITS,
        **overrides,
    }


def real_settings(env: Settings | None = None) -> dict[str, Any]:
    """The configured provider's settings. Raises ``LlmNotConfigured``."""
    env = env or Settings()
    if env.llm_provider == "off" or not env.llm_model or env.llm_api_key is None:
        raise LlmNotConfigured(
            "--llm real needs LLM_PROVIDER (anthropic|openai), LLM_MODEL and LLM_API_KEY"
        )
    names = (
        "llm_provider",
        "llm_model",
        "llm_api_key",
        "llm_base_url",
        "llm_fallback",
        "llm_fallback_api_key",
        "llm_timeout_seconds",
        "llm_prices",
        "llm_default_price",
    )
    return {name: getattr(env, name) for name in names} | _NO_BUDGET_LIMITS


@asynccontextmanager
async def llm_setup(mode: LlmMode, *, kb_path: Path) -> AsyncIterator[LlmSetup]:
    """The run's LLM; the fake server (if any) stops on exit."""
    if mode is LlmMode.OFF:
        yield LlmSetup()
        return
    if mode is LlmMode.REAL:
        yield LlmSetup(settings=real_settings())
        return
    fake = FakeLLM(mode=Mode.LIAR if mode is LlmMode.LIAR else Mode.FAKE)
    async with serve_fake_llm(fake, kb=load_kb(kb_path)) as url:
        yield LlmSetup(settings=fake_settings(url), fake=fake)
