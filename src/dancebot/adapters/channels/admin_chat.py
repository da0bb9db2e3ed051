"""The studio's admin chat (a Telegram chat): alerts and escalation cards go there through
the same outbound queue as everything else."""

from __future__ import annotations

import structlog

from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.ports.outbox import Outbox

log = structlog.get_logger(__name__)


class TelegramAdminChat:
    """``AdminNotifier`` port: a message to the configured admin chat."""

    def __init__(self, outbox: Outbox, *, chat_id: str) -> None:
        self._outbox = outbox
        self._chat_id = chat_id

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        await self._outbox.put(
            OutboundMessage(
                channel=Channel.TELEGRAM, chat_id=self._chat_id, text=text, trace_id=trace_id
            )
        )


class LoggedAdminNotifier:
    """No admin chat configured: the message is logged at warning level so it is not lost
    from sight (and ``/health`` says the admin chat is missing)."""

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        log.warning("admin_message_without_admin_chat", text=text, trace_id=trace_id)
