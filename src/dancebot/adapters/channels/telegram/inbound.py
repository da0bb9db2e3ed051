"""Telegram webhook input: the secret-token check and Bot API ``Update`` → ``UnifiedMessage``.

Mapping decisions (Bot API 9.x ``Update``/``Message``, parsed with aiogram 3 types):

- ``message`` → a new message; ``edited_message`` → ``is_edit=True`` with the same message id
  and the edit time as its timestamp (the dedup key then differs from the original's).
- ``callback_query`` (an inline button press) → ``MessageType.BUTTON``, ``text`` = the button's
  callback data, ``message_id`` = ``cb:{callback_query.id}``; the timestamp is ``now`` because
  a callback query carries no date. The message and the event keep ``callback_query_id`` so
  the reply can answer it (which stops the button's spinner).
- Media map to their ``MessageType`` (``video_note`` and ``animation`` are videos, ``venue`` is
  a location, ``audio`` is OTHER: a music file is not a voice message); a caption becomes
  ``text``. Other user content (polls, dice, games, unknown kinds) → OTHER.
- A shared ``contact`` → TEXT whose text is the phone in E.164, so the dialogue reads it exactly
  as a typed phone. It also fills ``sender_phone`` — but only when the contact is the sender's
  own (``contact.user_id == from.id``, what the "share my number" button sends): a forwarded
  card of someone else is not the sender's phone.
- A message in a forum topic (``is_topic_message``) keeps the topic as ``thread_id``; so
  does a button pressed under a message in a topic.
- Service messages (members joined, title changed, pinned, …), channel posts, membership and
  other update kinds → no message (the update is acknowledged and dropped).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message, Update
from pydantic import ValidationError

from dancebot.domain.messages import Channel, MessageType, UnifiedMessage
from dancebot.nlu.phone import normalize_phone

# The update kinds the bot asks for (setWebhook / getUpdates ``allowed_updates``).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# The header Telegram sends with every webhook when setWebhook had a secret_token.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_MEDIA_TYPES: dict[str, MessageType] = {
    ContentType.VOICE: MessageType.VOICE,
    ContentType.STICKER: MessageType.STICKER,
    ContentType.PHOTO: MessageType.PHOTO,
    ContentType.VIDEO: MessageType.VIDEO,
    ContentType.VIDEO_NOTE: MessageType.VIDEO,
    ContentType.ANIMATION: MessageType.VIDEO,
    ContentType.DOCUMENT: MessageType.DOCUMENT,
    ContentType.LOCATION: MessageType.LOCATION,
    ContentType.VENUE: MessageType.LOCATION,
}
# Things a person sends that the bot cannot read; anything else non-text is a service notice.
_OTHER_CONTENT = frozenset(
    {
        ContentType.UNKNOWN,
        ContentType.AUDIO,
        ContentType.LIVE_PHOTO,
        ContentType.PAID_MEDIA,
        ContentType.STORY,
        ContentType.CHECKLIST,
        ContentType.DICE,
        ContentType.GAME,
        ContentType.POLL,
        ContentType.INVOICE,
        ContentType.WEB_APP_DATA,
        ContentType.USERS_SHARED,
        ContentType.CHAT_SHARED,
    }
)


class MalformedUpdate(ValueError):
    """The webhook body is not a Telegram ``Update``; ``reason`` says why (no user data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TelegramEvent:
    """One update, read. ``message`` is None for updates the bot ignores;
    ``callback_query_id`` is set when a button was pressed (answer it even if ignored)."""

    update_id: int
    message: UnifiedMessage | None
    callback_query_id: str | None = None


def verify_secret(header_value: str | None, expected: str) -> bool:
    """True when the webhook's secret-token header equals ``expected`` (constant time).
    A missing header or an empty configured secret never matches."""
    if header_value is None or not expected:
        return False
    return hmac.compare_digest(header_value.encode(), expected.encode())


def parse_update(data: Any, *, now: datetime) -> TelegramEvent:
    """Read one webhook/getUpdates body. ``now`` stamps callback queries (they carry no date).

    Raises ``MalformedUpdate`` when ``data`` is not a valid Bot API ``Update``.
    """
    if not isinstance(data, dict):
        raise MalformedUpdate(f"an update is a JSON object, got {type(data).__name__}")
    try:
        update = Update.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise MalformedUpdate(f"not a Telegram update (bad fields: {', '.join(fields)})") from None
    if update.message is not None:
        return TelegramEvent(update.update_id, _from_message(update.message, edit=False))
    if update.edited_message is not None:
        return TelegramEvent(update.update_id, _from_message(update.edited_message, edit=True))
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query, now=now)
    return TelegramEvent(update.update_id, None)


def is_admin_chat(event: TelegramEvent, admin_chat_id: int | str | None) -> bool:
    """True when the event came from the studio's admin chat (routed apart from clients)."""
    if event.message is None or admin_chat_id is None:
        return False
    return event.message.chat_id == str(admin_chat_id)


def _from_message(message: Message, *, edit: bool) -> UnifiedMessage | None:
    kind = message.content_type
    if kind == ContentType.TEXT:
        message_type, text = MessageType.TEXT, message.text
    elif kind == ContentType.CONTACT:
        return _from_contact(message, edit=edit)
    elif kind in _MEDIA_TYPES:
        message_type, text = _MEDIA_TYPES[kind], message.caption
    elif kind in _OTHER_CONTENT:
        message_type, text = MessageType.OTHER, message.caption
    else:
        return None  # a service notice, not something a person said
    when = message.edit_date if edit and message.edit_date is not None else message.date
    return UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        message_id=str(message.message_id),
        timestamp=_utc(when),
        text=text,
        message_type=message_type,
        sender_name=message.from_user.first_name if message.from_user else None,
        is_edit=edit,
        thread_id=_topic(message),
    )


def _topic(message: Message | None) -> int | None:
    """The forum topic a message is in (``is_topic_message``); a reply thread in an ordinary
    group also has a ``message_thread_id`` but is no topic."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def _from_contact(message: Message, *, edit: bool) -> UnifiedMessage:
    contact = message.contact
    assert contact is not None  # content_type said so
    raw = contact.phone_number
    # Telegram writes the international number without "+", e.g. "79991234567".
    phone = normalize_phone(raw if raw.startswith("+") else f"+{raw}")
    own = message.from_user is not None and contact.user_id == message.from_user.id
    when = message.edit_date if edit and message.edit_date is not None else message.date
    return UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        message_id=str(message.message_id),
        timestamp=_utc(when),
        text=phone or raw,
        message_type=MessageType.TEXT,
        sender_phone=phone if own else None,
        sender_name=message.from_user.first_name if message.from_user else None,
        is_edit=edit,
    )


def _from_callback(update_id: int, query: CallbackQuery, *, now: datetime) -> TelegramEvent:
    if query.data is None:  # a game button: nothing for the bot to read
        return TelegramEvent(update_id, None, callback_query_id=query.id)
    # The pressed message's chat; without it (an inline-mode message) the private chat with
    # the user has the user's id.
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    pressed = query.message if isinstance(query.message, Message) else None
    message = UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(chat_id),
        message_id=f"cb:{query.id}",
        timestamp=now,
        text=query.data,
        message_type=MessageType.BUTTON,
        sender_name=query.from_user.first_name,
        callback_query_id=query.id,
        thread_id=_topic(pressed),
    )
    return TelegramEvent(update_id, message, callback_query_id=query.id)


def _utc(moment: datetime | int) -> datetime:
    # aiogram parses Unix dates into aware datetimes; plain ints are accepted for safety.
    if isinstance(moment, int):
        return datetime.fromtimestamp(moment, tz=UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
