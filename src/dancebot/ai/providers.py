"""LLM providers through pydantic-ai (DESIGN §5): Anthropic and any OpenAI-compatible
endpoint (OpenAI, OpenRouter, DeepSeek, vLLM, Ollama: ``base_url``), a primary model and
fallbacks tried in order (``FallbackModel``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

ProviderName = Literal["anthropic", "openai"]


class ProviderConfigError(ValueError):
    """The LLM settings do not describe a usable provider (the message says why)."""


@dataclass(frozen=True)
class ModelSpec:
    provider: ProviderName
    model: str
    api_key: str | None = None
    base_url: str | None = None

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


def parse_fallback(
    text: str | None, *, api_key: str | None, base_url: str | None = None
) -> list[ModelSpec]:
    """``LLM_FALLBACK``: comma-separated ``provider:model`` or ``provider:model@base_url``
    ("openai:gpt-4o-mini, openai:deepseek-chat@https://api.deepseek.com/v1")."""
    specs: list[ModelSpec] = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        provider, _, rest = item.partition(":")
        model, _, url = rest.partition("@")
        if provider not in ("anthropic", "openai") or not model:
            raise ProviderConfigError(
                f"LLM_FALLBACK item {item!r}: expected anthropic:MODEL or openai:MODEL[@URL]"
            )
        specs.append(ModelSpec(provider, model, api_key=api_key, base_url=url or base_url))  # type: ignore[arg-type]
    return specs


def build_model(spec: ModelSpec) -> Model:
    """A pydantic-ai model for ``spec``. Raises ``ProviderConfigError`` without an API key."""
    if not spec.api_key:
        raise ProviderConfigError(f"{spec.label}: no API key (LLM_API_KEY)")
    if spec.provider == "anthropic":
        provider = AnthropicProvider(api_key=spec.api_key, base_url=spec.base_url)
        return AnthropicModel(spec.model, provider=provider)
    openai = OpenAIProvider(api_key=spec.api_key, base_url=spec.base_url)
    return OpenAIChatModel(spec.model, provider=openai)


def build_chain(specs: list[ModelSpec]) -> Model:
    """The first spec, falling back to the others in order on any provider error."""
    if not specs:
        raise ProviderConfigError("no LLM model configured (LLM_MODEL)")
    models = [build_model(spec) for spec in specs]
    return models[0] if len(models) == 1 else FallbackModel(models[0], *models[1:])
