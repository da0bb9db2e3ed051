"""Messages in and out, independent of the channel they came from or go to."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    CONSOLE = "console"


class MessageType(StrEnum):
    TEXT = "text"
    BUTTON = "button"  # an inline/quick-reply button press; ``text`` holds its payload
    VOICE = "voice"
    STICKER = "sticker"
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    OTHER = "other"


def new_trace_id() -> str:
    return str(uuid.uuid4())


class UnifiedMessage(BaseModel):
    """One inbound message, whatever the channel (contract §8)."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    chat_id: str
    message_id: str
    timestamp: datetime
    text: str | None = None
    message_type: MessageType = MessageType.TEXT
    sender_phone: str | None = None  # E.164; WhatsApp gives it, Telegram does not
    sender_name: str | None = None
    is_edit: bool = False
    callback_query_id: str | None = None  # Telegram: the button press to acknowledge
    trace_id: str = Field(default_factory=new_trace_id)

    @property
    def dedup_key(self) -> str:
        """What makes a delivery unique (decision D19): the chat and the message id — a
        Telegram ``message_id`` is unique only within its chat, a WhatsApp wamid is unique
        anyway — and for an edit (same message id) the edit's time."""
        key = f"{self.chat_id}:{self.message_id}"
        if self.is_edit:
            return f"{key}:edit:{int(self.timestamp.timestamp())}"
        return key

    @property
    def is_text(self) -> bool:
        return self.message_type in (MessageType.TEXT, MessageType.BUTTON)


class Button(BaseModel):
    """A reply choice. ``payload`` is what comes back when pressed (defaults to the title)."""

    model_config = ConfigDict(frozen=True)

    title: str
    payload: str | None = None

    @property
    def value(self) -> str:
        return self.payload if self.payload is not None else self.title


class TemplateCall(BaseModel):
    """A pre-approved WhatsApp template (RFC §19.2) and its parameters, in order."""

    model_config = ConfigDict(frozen=True)

    name: str  # lesson_reminder_24h | lesson_reminder_2h | booking_confirm
    params: tuple[str, ...] = ()
    language: str = "ru"


class OutboundMessage(BaseModel):
    """One message the bot sends to a chat. ``text`` is always set (it is what other
    channels show, and what a template says once filled in); ``template`` asks WhatsApp for
    the template instead of free text."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    chat_id: str
    text: str
    buttons: tuple[Button, ...] = ()
    trace_id: str | None = None
    template: TemplateCall | None = None
    # where to try when this channel fails for good (a WhatsApp reminder → the client's Telegram)
    fallback_channel: Channel | None = None
    fallback_chat_id: str | None = None
    # one id per message: the outbound job id, so a message is queued and sent once
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    reply_to_callback: str | None = None  # Telegram: the callback query this answers
