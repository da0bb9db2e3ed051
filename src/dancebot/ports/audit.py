"""The audit port: every message and booking attempt is written down (contract §17)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from dancebot.domain.messages import Channel


@dataclass(frozen=True, slots=True)
class MessageRecord:
    trace_id: str
    channel: Channel
    chat_id: str
    direction: str  # "in" | "out"
    text: str
    at: datetime
    message_id: str | None = None
    message_type: str = "text"
    state: str | None = None


@dataclass(frozen=True, slots=True)
class BookingAttemptRecord:
    trace_id: str
    channel: Channel
    chat_id: str
    fingerprint: str
    schedule_id: int
    lesson_date: date
    client_phone_masked: str
    outcome: str  # "created" | "duplicate" | "full" | "in_past" | "not_found" | "crm_down" | ...
    at: datetime
    crm_booking_id: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One call to a tool (a CRM action, a KB search...). ``arguments`` must be JSON-like;
    phones in it are masked on write, and values JSON cannot hold are written as text."""

    trace_id: str
    tool: str
    outcome: str  # "ok" | "error" | "timeout" | ...
    latency_ms: int
    at: datetime
    arguments: Mapping[str, object] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LlmCallRecord:
    trace_id: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    latency_ms: int
    outcome: str  # "ok" | "error" | "timeout" | "invalid_output" | ...
    at: datetime


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    component: str  # "crm" | "channel.telegram" | "llm" | ...
    error_type: str  # usually the exception's class name
    message: str
    at: datetime
    trace_id: str | None = None


class AuditLog(Protocol):
    """Writes never raise to the caller: a failed audit write must not fail a conversation."""

    async def record_message(self, record: MessageRecord) -> None: ...

    async def record_booking_attempt(self, record: BookingAttemptRecord) -> None: ...

    async def record_tool_call(self, record: ToolCallRecord) -> None: ...

    async def record_llm_call(self, record: LlmCallRecord) -> None: ...

    async def record_error(self, record: ErrorRecord) -> None: ...

    async def messages(
        self, *, chat_id: str | None = None, trace_id: str | None = None
    ) -> list[MessageRecord]:
        """What was written, oldest first (test mode's ``/trace``)."""
        ...

    async def llm_calls(self, *, trace_id: str | None = None) -> list[LlmCallRecord]:
        """The LLM calls written, oldest first (test mode's ``/trace``)."""
        ...
