"""Prometheus metrics of the AI layer (``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LLM_REQUESTS = Counter(
    "dancebot_llm_requests_total", "LLM calls by purpose and outcome", ["purpose", "outcome"]
)
LLM_TOKENS = Counter("dancebot_llm_tokens_total", "LLM tokens used", ["kind"])
LLM_COST = Counter("dancebot_llm_cost_usd_total", "LLM cost in USD (from the price table)")
ENFORCER_REJECTIONS = Counter(
    "dancebot_llm_enforcer_rejections_total",
    "LLM replies stopped by the policy enforcer, by rule",
    ["rule"],
)
LLM_BUDGET_BLOCKED = Gauge(
    "dancebot_llm_budget_blocked", "1 while a budget limit is breached (no LLM: level L2)"
)
LLM_BUDGET_USED = Gauge(
    "dancebot_llm_budget_used_ratio", "Budget counters as a share of their limit", ["counter"]
)
