"""The scenario's two ends of the conversation: the user's channel, and a recorder of what
the bot says (to the user through the outbox, to the studio through the admin chat)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from dancebot.domain.messages import (
    Button,
    Channel,
    MessageType,
    OutboundMessage,
    UnifiedMessage,
    new_trace_id,
)
from dancebot.ports.clock import Clock


class StepProblem(Exception):
    """The step cannot be carried out as written (no such button, nothing to re-deliver…)."""


@dataclass(frozen=True)
class SentToUser:
    message: OutboundMessage
    at: datetime


@dataclass(frozen=True)
class SentToAdmin:
    text: str
    at: datetime


class Recorder:
    """The bot's outbox and admin notifier in one log, in the order things were said, each
    stamped with the virtual time. Implements the ``Outbox`` and ``AdminNotifier`` ports."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.log: list[SentToUser | SentToAdmin] = []

    async def put(self, message: OutboundMessage) -> None:
        self.log.append(SentToUser(message, self._clock.now()))

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        self.log.append(SentToAdmin(text, self._clock.now()))

    def since(self, mark: int) -> tuple[list[SentToUser], list[SentToAdmin]]:
        """What was said after ``mark`` (a former ``len(log)``): to the user, to the admin."""
        entries = self.log[mark:]
        return (
            [e for e in entries if isinstance(e, SentToUser)],
            [e for e in entries if isinstance(e, SentToAdmin)],
        )


class ScenarioChat:
    """Builds the user's inbound messages as the channel adapter would."""

    def __init__(
        self,
        *,
        clock: Clock,
        channel: Channel,
        chat_id: str,
        sender_name: str | None,
        sender_phone: str | None,
    ) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.channel = channel
        self.chat_id = chat_id
        self.sender_name = sender_name
        self.sender_phone = sender_phone
        self.buttons: tuple[Button, ...] = ()  # of the last bot message that had any
        self.last: UnifiedMessage | None = None
        self._user_steps: list[UnifiedMessage] = []
        self._edited_at: dict[str, datetime] = {}

    def saw(self, message: OutboundMessage) -> None:
        if message.buttons:
            self.buttons = message.buttons

    def text(self, text: str) -> UnifiedMessage:
        """A typed message (a ``user`` step)."""
        message = self._new(text=text, message_type=MessageType.TEXT)
        self._user_steps.append(message)
        return message

    def press(self, title: str) -> UnifiedMessage:
        """A button press; raises ``StepProblem`` when the last offered buttons lack ``title``."""
        wanted = title.strip().casefold()
        button = next((b for b in self.buttons if b.title.strip().casefold() == wanted), None)
        if button is None:
            offered = ", ".join(repr(b.title) for b in self.buttons)
            raise StepProblem(
                f"no button {title!r} in the last bot message with buttons (offered: {offered})"
                if offered
                else f"no button {title!r}: the bot has offered no buttons yet"
            )
        return self._new(text=button.value, message_type=MessageType.BUTTON)

    def non_text(self, kind: MessageType) -> UnifiedMessage:
        return self._new(text=None, message_type=kind)

    def edit(self, user_step: int, text: str) -> UnifiedMessage:
        """The user edits their ``user_step``-th typed message (1-based): same message id,
        ``is_edit``, and a timestamp at least a second after the original or the last edit
        (the dedup key of an edit holds its time in whole seconds)."""
        if not 1 <= user_step <= len(self._user_steps):
            raise StepProblem(
                f"cannot edit user step {user_step}: only {len(self._user_steps)} sent so far"
            )
        original = self._user_steps[user_step - 1]
        previous = self._edited_at.get(original.message_id, original.timestamp)
        stamp = max(self._clock.now(), previous + timedelta(seconds=1))
        self._edited_at[original.message_id] = stamp
        edited = original.model_copy(
            update={
                "text": text,
                "is_edit": True,
                "timestamp": stamp,
                "trace_id": new_trace_id(),
            }
        )
        self.last = edited
        return edited

    def duplicate(self) -> UnifiedMessage:
        """The previous inbound delivery, unchanged."""
        if self.last is None:
            raise StepProblem("nothing to re-deliver: no message was sent before this step")
        return self.last

    def _new(self, *, text: str | None, message_type: MessageType) -> UnifiedMessage:
        message = UnifiedMessage(
            channel=self.channel,
            chat_id=self.chat_id,
            message_id=str(next(self._ids)),
            timestamp=self._clock.now(),
            text=text,
            message_type=message_type,
            sender_name=self.sender_name,
            sender_phone=self.sender_phone,
        )
        self.last = message
        return message
