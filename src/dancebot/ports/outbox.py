"""The outbox: where the engine puts what it says. Channels deliver it."""

from __future__ import annotations

from typing import Protocol

from dancebot.domain.messages import OutboundMessage


class Outbox(Protocol):
    async def put(self, message: OutboundMessage) -> None:
        """Queue one message for delivery. Must not lose it once this returns."""
        ...


class AdminNotifier(Protocol):
    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        """Tell the studio's admin chat something (escalations, alerts)."""
        ...
