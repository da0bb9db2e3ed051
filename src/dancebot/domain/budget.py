"""The LLM budget (contract §12): limits, what was used, and which limit is breached. Pure.

Four counters, each over a fixed window of the clock: tokens per hour, cost per (UTC) day,
requests per minute, errors per hour. A limit is breached once its counter reaches it; the
breach lasts until its window ends, and the LLM is then used again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """Contract §12's defaults; settings ``BUDGET_*`` override them."""

    tokens_per_hour: int = 100_000
    cost_per_day_usd: float = 10.0
    requests_per_minute: int = 30
    errors_per_hour: int = 50


@dataclass(frozen=True, slots=True)
class Window:
    name: str  # "minute" | "hour" | "day"
    length: timedelta

    def start(self, now: datetime) -> datetime:
        """The start of the window ``now`` falls in (windows are aligned to UTC)."""
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        elapsed = (now.astimezone(UTC) - epoch) // self.length
        return epoch + elapsed * self.length

    def end(self, now: datetime) -> datetime:
        return self.start(now) + self.length


MINUTE = Window("minute", timedelta(minutes=1))
HOUR = Window("hour", timedelta(hours=1))
DAY = Window("day", timedelta(days=1))

# counter name → its window
COUNTER_WINDOWS: dict[str, Window] = {
    "tokens": HOUR,
    "cost_usd": DAY,
    "requests": MINUTE,
    "errors": HOUR,
}


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """The counters in the windows ``now`` falls in."""

    tokens: int = 0
    cost_usd: float = 0.0
    requests: int = 0
    errors: int = 0


@dataclass(frozen=True, slots=True)
class Breach:
    counter: str  # "tokens" | "cost_usd" | "requests" | "errors"
    used: float
    limit: float
    until: datetime  # the end of the window: the LLM is used again from then


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """What ``/budget`` shows."""

    usage: BudgetUsage
    limits: BudgetLimits
    breach: Breach | None
    now: datetime


def breaches(usage: BudgetUsage, limits: BudgetLimits, *, now: datetime) -> list[Breach]:
    """Every limit ``usage`` has reached, the longest-lasting first."""
    pairs = (
        ("tokens", usage.tokens, limits.tokens_per_hour),
        ("cost_usd", usage.cost_usd, limits.cost_per_day_usd),
        ("requests", usage.requests, limits.requests_per_minute),
        ("errors", usage.errors, limits.errors_per_hour),
    )
    found = [
        Breach(name, used, limit, COUNTER_WINDOWS[name].end(now))
        for name, used, limit in pairs
        if used >= limit
    ]
    return sorted(found, key=lambda b: b.until, reverse=True)
