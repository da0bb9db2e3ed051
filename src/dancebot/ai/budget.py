"""The budget guard (contract §12): counters shared by every replica, a breach stops the LLM
until its window passes, and the admin hears of each breach once.

The counters live behind ``BudgetCounters`` (Redis in production and tests, so all app
replicas count together); time comes from the ``Clock`` port, so tests drive the windows on
a virtual clock. While a limit is breached the generator and the phraser get no LLM: the
engine runs on the deterministic parser and templates (degradation L2), and the degradation
monitor reports L2 through ``llm_down``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import structlog

from dancebot.domain.budget import (
    Breach,
    BudgetLimits,
    BudgetStatus,
    BudgetUsage,
    breaches,
)
from dancebot.ports.audit import AuditLog, ErrorRecord
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier

log = structlog.get_logger(__name__)

_COUNTER_TEXT = {
    "tokens": "токенов за час",
    "cost_usd": "расходов за сутки, $",
    "requests": "запросов в минуту",
    "errors": "ошибок за час",
}


def breach_alert_text(breach: Breach) -> str:
    """The admin's alert for ``breach`` (one per limit and window)."""
    until = breach.until.strftime("%H:%M UTC")
    used = f"{breach.used:.2f}" if breach.counter == "cost_usd" else f"{int(breach.used)}"
    limit = f"{breach.limit:g}"
    return (
        f"⚠️ Лимит LLM исчерпан: {_COUNTER_TEXT[breach.counter]} {used} из {limit}. "
        f"До {until} бот работает без языковой модели (база знаний и шаблоны), записи "
        "принимаются как обычно."
    )


class BudgetCounters(Protocol):
    """Counters per fixed window (``dancebot.domain.budget.COUNTER_WINDOWS``)."""

    async def add(
        self, *, now: datetime, tokens: int, cost_usd: float, requests: int, errors: int
    ) -> None: ...

    async def usage(self, *, now: datetime) -> BudgetUsage: ...

    async def claim_alert(self, breach: Breach, *, now: datetime) -> bool:
        """True exactly once per breached counter and window (across replicas)."""
        ...


class BudgetGuard:
    """Admits LLM calls while every limit holds; records what each call used."""

    def __init__(
        self,
        counters: BudgetCounters,
        *,
        limits: BudgetLimits,
        clock: Clock,
        admin: AdminNotifier,
        audit: AuditLog | None = None,
    ) -> None:
        self._counters = counters
        self.limits = limits
        self._clock = clock
        self._admin = admin
        self._audit = audit  # each breach is an `errors` row: the KPI report counts them

    async def admit(self) -> Breach | None:
        """None when a call may go out; else the breach that stops it (the admin is told
        once per breach). Raises what the counters raise."""
        return await self._check(self._clock.now())

    async def record(self, *, tokens: int, cost_usd: float, error: bool, requests: int = 1) -> None:
        """Count a call (``requests`` HTTP requests); a limit it crosses is announced now."""
        now = self._clock.now()
        await self._counters.add(
            now=now, tokens=tokens, cost_usd=cost_usd, requests=requests, errors=int(error)
        )
        await self._check(now)

    async def status(self) -> BudgetStatus:
        now = self._clock.now()
        usage = await self._counters.usage(now=now)
        found = breaches(usage, self.limits, now=now)
        return BudgetStatus(
            usage=usage, limits=self.limits, breach=found[0] if found else None, now=now
        )

    async def llm_down(self) -> bool:
        """For the degradation monitor: a limit is breached now (L2)."""
        return (await self.status()).breach is not None

    async def _check(self, now: datetime) -> Breach | None:
        usage = await self._counters.usage(now=now)
        found = breaches(usage, self.limits, now=now)
        for breach in found:
            if await self._counters.claim_alert(breach, now=now):
                log.warning(
                    "llm_budget_breached",
                    counter=breach.counter,
                    used=breach.used,
                    limit=breach.limit,
                    until=breach.until.isoformat(),
                )
                try:
                    await self._admin.notify_admin(breach_alert_text(breach))
                    if self._audit is not None:
                        await self._audit.record_error(
                            ErrorRecord(
                                component="budget_guard",
                                error_type=breach.counter,
                                message=f"{breach.used} > {breach.limit}",
                                at=now,
                            )
                        )
                except Exception as exc:  # the guard still holds; the alert is only lost
                    log.error("llm_budget_alert_failed", error=type(exc).__name__)
        return found[0] if found else None
