"""The one door every LLM call goes through: the budget guard admits it, pydantic-ai runs it
on the configured model chain, and what it used is counted (budget, ``llm_calls``, metrics,
log). ``run`` never raises: a provider error, a timeout, a breached budget or output that
does not validate all come back as None, and the caller uses its deterministic path.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import structlog
from pydantic_ai import Agent
from pydantic_ai.exceptions import (
    FallbackExceptionGroup,
    ModelAPIError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelTimeoutError,
    UnexpectedModelBehavior,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage

from dancebot.ai.budget import BudgetGuard
from dancebot.ai.metrics import (
    LLM_BUDGET_BLOCKED,
    LLM_BUDGET_USED,
    LLM_COST,
    LLM_REQUESTS,
    LLM_TOKENS,
)
from dancebot.ai.pricing import PriceTable
from dancebot.ai.providers import ModelSpec
from dancebot.domain.budget import BudgetStatus
from dancebot.ports.audit import AuditLog, LlmCallRecord
from dancebot.ports.clock import Clock

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class CallSettings:
    """Per purpose: understanding runs at temperature 0."""

    temperature: float
    max_tokens: int
    timeout_seconds: float

    def model_settings(self) -> ModelSettings:
        return ModelSettings(
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            timeout=self.timeout_seconds,
            request_timeout=self.timeout_seconds,
            max_retries=0,  # the fallback model and the deterministic path are our retries
        )


class LlmGateway:
    """Runs agents on ``model`` (a model or a ``FallbackModel`` over ``specs``)."""

    def __init__(
        self,
        model: Model,
        *,
        specs: Sequence[ModelSpec],
        budget: BudgetGuard,
        audit: AuditLog,
        clock: Clock,
        prices: PriceTable,
    ) -> None:
        self.model = model
        self._specs = list(specs)
        self._budget = budget
        self._audit = audit
        self._clock = clock
        self._prices = prices

    async def run(
        self,
        agent: Agent[None, Any],
        prompt: str | Sequence[str],
        *,
        purpose: str,
        trace_id: str,
        settings: CallSettings,
    ) -> Any | None:
        """The agent's output, or None (see the module docstring)."""
        if not await self._admitted(purpose, trace_id):
            return None
        usage = RunUsage()
        started = time.perf_counter()
        output: Any | None = None
        model_name, outcome, error = self._specs[0].model, "ok", None
        try:
            result = await agent.run(
                prompt, model=self.model, model_settings=settings.model_settings(), usage=usage
            )
            output = result.output
            model_name = result.response.model_name or model_name
        except Exception as exc:  # the contract: a bad LLM never fails a turn
            outcome, error = outcome_of(exc), f"{type(exc).__name__}: {exc}"[:300]
        latency_ms = int((time.perf_counter() - started) * 1000)
        await self._account(
            purpose=purpose,
            trace_id=trace_id,
            model_name=model_name,
            usage=usage,
            outcome=outcome,
            latency_ms=latency_ms,
            error=error,
        )
        return output

    async def budget_status(self) -> BudgetStatus:
        return await self._budget.status()

    async def _admitted(self, purpose: str, trace_id: str) -> bool:
        try:
            breach = await self._budget.admit()
        except Exception as exc:  # without counters there is no budget: no LLM
            log.error("llm_budget_unavailable", error=type(exc).__name__, trace_id=trace_id)
            return False
        LLM_BUDGET_BLOCKED.set(int(breach is not None))
        if breach is None:
            return True
        LLM_REQUESTS.labels(purpose=purpose, outcome="budget_blocked").inc()
        log.info("llm_call_skipped", purpose=purpose, counter=breach.counter, trace_id=trace_id)
        return False

    async def _account(
        self,
        *,
        purpose: str,
        trace_id: str,
        model_name: str,
        usage: RunUsage,
        outcome: str,
        latency_ms: int,
        error: str | None,
    ) -> None:
        cost = self._prices.cost(
            model_name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        LLM_REQUESTS.labels(purpose=purpose, outcome=outcome).inc()
        LLM_TOKENS.labels(kind="input").inc(usage.input_tokens)
        LLM_TOKENS.labels(kind="output").inc(usage.output_tokens)
        LLM_COST.inc(float(cost))
        log_fields = {
            "purpose": purpose,
            "model": model_name,
            "outcome": outcome,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "requests": usage.requests,
            "cost_usd": str(cost),
            "latency_ms": latency_ms,
            "trace_id": trace_id,
        }
        if error:
            log.warning("llm_call_failed", **log_fields, error=error)
        else:
            log.info("llm_call", **log_fields)
        await self._record(trace_id, model_name, usage, cost, latency_ms, f"{purpose}:{outcome}")
        try:
            await self._budget.record(
                tokens=usage.input_tokens + usage.output_tokens,
                cost_usd=float(cost),
                error=outcome != "ok",
                requests=max(1, usage.requests),
            )
            await self._export_budget()
        except Exception as exc:
            log.error("llm_budget_record_failed", error=type(exc).__name__, trace_id=trace_id)

    async def _record(
        self,
        trace_id: str,
        model_name: str,
        usage: RunUsage,
        cost: Decimal,
        latency_ms: int,
        outcome: str,
    ) -> None:
        await self._audit.record_llm_call(
            LlmCallRecord(
                trace_id=trace_id,
                provider=self._provider_of(model_name),
                model=model_name,
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
                cost_usd=cost,
                latency_ms=latency_ms,
                outcome=outcome[:32],
                at=self._clock.now(),
            )
        )

    async def _export_budget(self) -> None:
        status = await self._budget.status()
        usage, limits = status.usage, status.limits
        LLM_BUDGET_BLOCKED.set(int(status.breach is not None))
        for counter, used, limit in (
            ("tokens", usage.tokens, limits.tokens_per_hour),
            ("cost_usd", usage.cost_usd, limits.cost_per_day_usd),
            ("requests", usage.requests, limits.requests_per_minute),
            ("errors", usage.errors, limits.errors_per_hour),
        ):
            LLM_BUDGET_USED.labels(counter=counter).set(used / limit if limit else 0.0)

    def _provider_of(self, model_name: str) -> str:
        for spec in self._specs:
            if model_name.startswith(spec.model) or spec.model.startswith(model_name):
                return spec.provider
        return self._specs[0].provider


def outcome_of(exc: BaseException) -> str:
    """A short stable word for what went wrong (``llm_calls.outcome``, metric label)."""
    if isinstance(exc, FallbackExceptionGroup) and exc.exceptions:
        return outcome_of(exc.exceptions[-1])
    if isinstance(exc, ModelRequestTimeout | ModelTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, ModelRateLimitError):
        return "rate_limited"
    if isinstance(exc, UnexpectedModelBehavior):
        return "invalid_output"
    if isinstance(exc, ModelAPIError):
        return "provider_error"
    return "error"
