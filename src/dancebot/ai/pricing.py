"""What an LLM call cost: a price table per model (USD per million tokens, input and
output), from the settings (``LLM_PRICES``), with a default for models not in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    default: tuple[float, float] = (3.0, 15.0)

    def per_million(self, model: str) -> tuple[float, float]:
        """The model's prices; a dated name ("claude-haiku-4-5-20251001") matches the longest
        listed prefix."""
        if model in self.prices:
            return self.prices[model]
        matches = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else self.default

    def cost(self, model: str, *, input_tokens: int, output_tokens: int) -> Decimal:
        price_in, price_out = self.per_million(model)
        total = Decimal(str(price_in)) * input_tokens + Decimal(str(price_out)) * output_tokens
        return (total / MILLION).quantize(Decimal("0.000001"))
