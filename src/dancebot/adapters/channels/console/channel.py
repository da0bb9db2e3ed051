"""The console channel: a terminal (or JSON lines on stdin/stdout) as a chat.

Buttons work as in a messenger: typing a button's title, or its number, presses it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from dancebot.domain.messages import Button, Channel, MessageType, OutboundMessage, UnifiedMessage
from dancebot.ports.clock import Clock


class ConsoleOutbox:
    """Collects what the engine says; the console loop prints it."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def put(self, message: OutboundMessage) -> None:
        self.sent.append(message)

    def drain(self) -> list[OutboundMessage]:
        out, self.sent = self.sent, []
        return out


class ConsoleAdminNotifier:
    """Admin-chat messages in the console: kept, and shown apart from the client's chat."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        self.messages.append(text)

    def drain(self) -> list[str]:
        out, self.messages = self.messages, []
        return out


class ConsoleChat:
    """Turns typed lines into ``UnifiedMessage``s for one console chat."""

    def __init__(
        self,
        *,
        clock: Clock,
        chat_id: str = "console",
        sender_name: str | None = None,
        sender_phone: str | None = None,
        channel: Channel = Channel.CONSOLE,
    ) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self._buttons: tuple[Button, ...] = ()
        self.chat_id = chat_id
        self.sender_name = sender_name
        self.sender_phone = sender_phone
        self.channel = channel

    def saw(self, replies: Sequence[OutboundMessage]) -> None:
        """Remember the buttons of the last bot message that had any."""
        for reply in replies:
            self._buttons = reply.buttons

    def message(self, text: str) -> UnifiedMessage:
        button = self._pressed(text)
        return UnifiedMessage(
            channel=self.channel,
            chat_id=self.chat_id,
            message_id=f"{self.chat_id}-{next(self._ids)}",
            timestamp=self._clock.now(),
            text=button.value if button else text,
            message_type=MessageType.BUTTON if button else MessageType.TEXT,
            sender_name=self.sender_name,
            sender_phone=self.sender_phone,
        )

    def non_text(self, kind: MessageType) -> UnifiedMessage:
        return UnifiedMessage(
            channel=self.channel,
            chat_id=self.chat_id,
            message_id=f"{self.chat_id}-{next(self._ids)}",
            timestamp=self._clock.now(),
            message_type=kind,
        )

    def _pressed(self, text: str) -> Button | None:
        typed = text.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(self._buttons):
            return self._buttons[int(typed) - 1]
        return next((b for b in self._buttons if b.title.casefold() == typed.casefold()), None)
