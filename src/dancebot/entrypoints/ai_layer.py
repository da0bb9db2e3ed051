"""Wiring the AI layer from the settings (DESIGN §11): providers, budget guard, command
generator and phraser. ``LLM_PROVIDER=off`` (the default) builds nothing: the engine runs on
the deterministic parser and templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.budget import BudgetLimits
from dancebot.entrypoints.settings import Settings
from dancebot.ports.audit import AuditLog
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier

if TYPE_CHECKING:  # pydantic-ai takes seconds to import: only when an LLM is configured
    from dancebot.ai.budget import BudgetGuard
    from dancebot.ai.gateway import LlmGateway
    from dancebot.ai.generator import LlmCommandGenerator
    from dancebot.ai.phraser import LlmPhraser
    from dancebot.ai.providers import ModelSpec

UNDERSTAND_MAX_TOKENS = 800
PHRASING_MAX_TOKENS = 400


@dataclass
class AiLayer:
    gateway: LlmGateway
    budget: BudgetGuard
    generator: LlmCommandGenerator
    phraser: LlmPhraser | None
    specs: list[ModelSpec]


def model_specs(settings: Settings) -> list[ModelSpec]:
    """The primary model and its fallbacks. Raises ``ProviderConfigError`` when incomplete."""
    if settings.llm_provider == "off":
        return []  # before the import: pydantic-ai and the SDKs cost seconds and ~80 MB
    from dancebot.ai.providers import ModelSpec, ProviderConfigError, parse_fallback

    if not settings.llm_model:
        raise ProviderConfigError("LLM_PROVIDER is set but LLM_MODEL is not")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    fallback_key = (
        settings.llm_fallback_api_key.get_secret_value() if settings.llm_fallback_api_key else key
    )
    primary = ModelSpec(settings.llm_provider, settings.llm_model, key, settings.llm_base_url)
    return [primary, *parse_fallback(settings.llm_fallback, api_key=fallback_key)]


def budget_limits(settings: Settings) -> BudgetLimits:
    return BudgetLimits(
        tokens_per_hour=settings.budget_max_tokens_per_hour,
        cost_per_day_usd=settings.budget_max_cost_per_day_usd,
        requests_per_minute=settings.budget_max_requests_per_minute,
        errors_per_hour=settings.budget_max_errors_per_hour,
    )


def build_ai_layer(
    settings: Settings,
    *,
    redis: aioredis.Redis,
    keys: RedisKeys,
    audit: AuditLog,
    clock: Clock,
    admin: AdminNotifier,
) -> AiLayer | None:
    """The AI layer, or None when ``LLM_PROVIDER=off``. Raises ``ProviderConfigError`` for
    settings that name a provider but cannot work (no model, no key, a bad fallback)."""
    specs = model_specs(settings)
    if not specs:
        return None
    from dancebot.adapters.storage.llm_budget import RedisBudgetCounters
    from dancebot.adapters.storage.llm_summary import RedisSummaryStore
    from dancebot.ai.budget import BudgetGuard
    from dancebot.ai.gateway import CallSettings, LlmGateway
    from dancebot.ai.generator import LlmCommandGenerator
    from dancebot.ai.phraser import LlmPhraser
    from dancebot.ai.pricing import PriceTable
    from dancebot.ai.providers import build_chain

    budget = BudgetGuard(
        RedisBudgetCounters(redis, keys=keys),
        limits=budget_limits(settings),
        clock=clock,
        admin=admin,
        audit=audit,
    )
    gateway = LlmGateway(
        build_chain(specs),
        specs=specs,
        budget=budget,
        audit=audit,
        clock=clock,
        prices=PriceTable(settings.llm_prices, default=settings.llm_default_price),
    )
    timeout = settings.llm_timeout_seconds
    generator = LlmCommandGenerator(
        gateway,
        settings=CallSettings(0.0, UNDERSTAND_MAX_TOKENS, timeout),
        summaries=RedisSummaryStore(redis, keys=keys),
    )
    phraser = (
        LlmPhraser(
            gateway,
            settings=CallSettings(settings.llm_phrasing_temperature, PHRASING_MAX_TOKENS, timeout),
        )
        if settings.llm_phrasing
        else None
    )
    return AiLayer(
        gateway=gateway, budget=budget, generator=generator, phraser=phraser, specs=specs
    )
