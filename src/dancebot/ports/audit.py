"""The audit port: every message and booking attempt is written down (contract §17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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


class AuditLog(Protocol):
    async def record_message(self, record: MessageRecord) -> None: ...

    async def record_booking_attempt(self, record: BookingAttemptRecord) -> None: ...
