"""Channels: delivering an outbound message to Telegram, WhatsApp or the console.

A sender raises one of the ``ChannelError`` subclasses below; the outbound worker decides
from the class whether to wait, retry, switch to a template or give up to the dead-letter
table. A sender never retries by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dancebot.domain.messages import Channel, OutboundMessage


class ChannelError(Exception):
    """Base of every delivery failure."""


class ChannelRateLimited(ChannelError):
    """The channel said "too many" (Telegram 429, WhatsApp 130429 / 131056)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelUnavailable(ChannelError):
    """5xx, a timeout or no connection: the same message may go through later."""


class OutsideWindow(ChannelError):
    """WhatsApp 131047: more than 24 h since the client last wrote; only a template may go."""


class ChannelRejected(ChannelError):
    """The channel refused the message for good (blocked by the user, bad chat id, 4xx)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the channel answered: its id for the message (for the record)."""

    channel_message_id: str | None = None


class ChannelSender(Protocol):
    channel: Channel

    async def send(self, message: OutboundMessage) -> Delivery:
        """Send text (with its buttons) or, when ``message.template`` is set, a template.
        Raises a ``ChannelError`` subclass."""
        ...

    async def typing(self, chat_id: str) -> None:
        """Show "печатает…" (best effort: never raises)."""
        ...


class ReminderScheduler(Protocol):
    """S3: reminders 24 h and 2 h before a booked lesson (one per reservation and kind)."""

    async def schedule_for(self, *, booking_id: int, reminder: ReminderRequest) -> None:
        """Plan the reminders still ahead of ``now`` (idempotent per booking and kind)."""
        ...

    async def cancel_for(self, booking_id: int) -> None:
        """Drop the booking's reminders (cancelled or moved)."""
        ...


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    """Everything a reminder needs, captured at booking time."""

    channel: Channel
    chat_id: str
    client_id: int  # the CRM client: at send time the booking is checked to still exist
    client_name: str
    client_phone: str  # E.164: finds the client's other channel for a fallback
    schedule_id: int
    lesson_title: str  # "Contemporary, начинающие"
    lesson_start_iso: str  # the lesson's start, ISO 8601 with offset
