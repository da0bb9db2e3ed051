"""Messages in and out, independent of the channel they came from or go to."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SURROGATE = re.compile("[\ud800-\udfff]")


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


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate code point replaced by U+FFFD. JSON may carry them
    (``"\\ud800"``), no encoder accepts them; a valid pair never reaches us as two code
    points (the JSON decoder joins escaped pairs)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


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
    # a thread inside the chat: the Telegram forum topic a message was written in
    thread_id: int | None = None
    # written in the studio's admin chat: carried out as the admin's, never as a client's
    from_admin_chat: bool = False

    @field_validator("chat_id", "message_id", "text", "sender_phone", "sender_name", mode="before")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        """Whatever a channel sent, the message can be stored and logged (issue 8 item 5)."""
        return clean_text(value) if isinstance(value, str) else value

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
    thread_id: int | None = None  # Telegram: the forum topic to post in
    pin: bool = False  # Telegram: pin the message once sent (a case card in its topic)
