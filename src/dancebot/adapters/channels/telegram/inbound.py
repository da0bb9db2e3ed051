"""Telegram webhook input: the secret-token check and Bot API ``Update`` → ``UnifiedMessage``.

Mapping decisions (Bot API 10.3 ``Update``/``Message``; small pydantic models declare only
the fields read here, with the types the Bot API gives them):

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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dancebot.domain.messages import Channel, MessageType, UnifiedMessage
from dancebot.nlu.phone import normalize_phone

# The update kinds the bot asks for (setWebhook / getUpdates ``allowed_updates``).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# The header Telegram sends with every webhook when setWebhook had a secret_token.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# What a message is, from the first of these fields that is set and not empty, in this order
# (a venue also carries a location, an animation a document): Bot API 10.3's kinds of
# message content; tests/unit/channels/telegram/test_inbound_parity.py checks the set and
# the order against the reference library's reading of a Message.
CONTENT_FIELDS = (
    "text", "audio", "animation", "document", "game", "live_photo", "photo", "sticker",
    "video", "video_note", "voice", "checklist", "contact", "venue", "location",
    "new_chat_members", "left_chat_member", "chat_owner_left", "chat_owner_changed",
    "invoice", "successful_payment", "users_shared", "connected_website",
    "migrate_from_chat_id", "migrate_to_chat_id", "pinned_message", "new_chat_title",
    "new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "paid_media", "passport_data", "proximity_alert_triggered", "poll",
    "dice", "message_auto_delete_timer_changed", "forum_topic_created", "forum_topic_edited",
    "forum_topic_closed", "forum_topic_reopened", "general_forum_topic_hidden",
    "general_forum_topic_unhidden", "giveaway_created", "giveaway", "giveaway_completed",
    "giveaway_winners", "video_chat_scheduled", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited", "web_app_data", "user_shared", "chat_shared", "story",
    "write_access_allowed", "chat_background_set", "boost_added", "checklist_tasks_done",
    "checklist_tasks_added", "direct_message_price_changed", "refunded_payment", "gift",
    "unique_gift", "gift_upgrade_sent", "paid_message_price_changed",
    "suggested_post_approved", "suggested_post_approval_failed", "suggested_post_declined",
    "suggested_post_paid", "suggested_post_refunded", "managed_bot_created",
    "poll_option_added", "poll_option_deleted", "rich_message", "community_chat_added",
    "community_chat_removed", "community_chat_joined",
)  # fmt: skip
UNKNOWN_CONTENT = "unknown"  # none of the fields above: a kind newer than the list

_MEDIA_TYPES: dict[str, MessageType] = {
    "voice": MessageType.VOICE,
    "sticker": MessageType.STICKER,
    "photo": MessageType.PHOTO,
    "video": MessageType.VIDEO,
    "video_note": MessageType.VIDEO,
    "animation": MessageType.VIDEO,
    "document": MessageType.DOCUMENT,
    "location": MessageType.LOCATION,
    "venue": MessageType.LOCATION,
}
# Things a person sends that the bot cannot read; anything else non-text is a service notice.
_OTHER_CONTENT = frozenset(
    {
        UNKNOWN_CONTENT,
        "audio",
        "live_photo",
        "paid_media",
        "story",
        "checklist",
        "dice",
        "game",
        "poll",
        "invoice",
        "web_app_data",
        "users_shared",
        "chat_shared",
    }
)


class _Model(BaseModel):
    """Only the fields the bot reads are declared and validated; the rest is kept aside."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class _User(_Model):
    id: int
    is_bot: bool
    first_name: str


class _Chat(_Model):
    id: int
    type: str


class _Contact(_Model):
    phone_number: str
    first_name: str
    user_id: int | None = None


class _Message(_Model):
    message_id: int
    date: datetime
    chat: _Chat
    from_user: _User | None = Field(None, alias="from")
    edit_date: int | None = None  # Unix seconds, as Telegram sends it
    message_thread_id: int | None = None
    is_topic_message: bool | None = None
    text: str | None = None
    caption: str | None = None
    contact: _Contact | None = None
    # content fields that are no object (the others arrive as extras: _content_kind)
    photo: list[Any] | None = None
    new_chat_members: list[Any] | None = None
    new_chat_photo: list[Any] | None = None
    connected_website: str | None = None
    new_chat_title: str | None = None
    migrate_from_chat_id: int | None = None
    migrate_to_chat_id: int | None = None
    delete_chat_photo: bool | None = None
    group_chat_created: bool | None = None
    supergroup_chat_created: bool | None = None
    channel_chat_created: bool | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _PressedMessage(_Model):
    """The message under a pressed button: a ``Message``, or an ``InaccessibleMessage``
    (too old for the bot to see: no ``date``, or date 0 and nothing else)."""

    chat: _Chat
    message_id: int
    date: datetime = _EPOCH
    message_thread_id: int | None = None
    is_topic_message: bool | None = None


class _CallbackQuery(_Model):
    id: str
    from_user: _User = Field(alias="from")
    chat_instance: str
    message: _PressedMessage | None = None
    data: str | None = None


class _Update(_Model):
    update_id: int
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None


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

    Raises ``MalformedUpdate`` when ``data`` is not a Bot API ``Update``: a field the bot reads
    is missing or of the wrong type, or a content field (``voice``, ``photo``…) is not of its
    JSON type. What is inside fields the bot does not read is not checked.
    """
    if not isinstance(data, dict):
        raise MalformedUpdate(f"an update is a JSON object, got {type(data).__name__}")
    try:
        update = _Update.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise _malformed(fields) from None
    if update.message is not None:
        message = _from_message(update.message, edit=False, where="message")
        return TelegramEvent(update.update_id, message)
    if update.edited_message is not None:
        edited = _from_message(update.edited_message, edit=True, where="edited_message")
        return TelegramEvent(update.update_id, edited)
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query, now=now)
    return TelegramEvent(update.update_id, None)


def is_admin_chat(event: TelegramEvent, admin_chat_id: int | str | None) -> bool:
    """True when the event came from the studio's admin chat (routed apart from clients)."""
    if event.message is None or admin_chat_id is None:
        return False
    return event.message.chat_id == str(admin_chat_id)


def _malformed(fields: list[str]) -> MalformedUpdate:
    return MalformedUpdate(f"not a Telegram update (bad fields: {', '.join(fields)})")


def _content_kind(message: _Message, *, where: str = "message") -> str:
    """The first of ``CONTENT_FIELDS`` the message has, set and not empty (an object counts
    even when empty); ``UNKNOWN_CONTENT`` when it has none. Raises ``MalformedUpdate`` when a
    content field that should be an object is something else."""
    extra = message.model_extra or {}
    wrong = [
        f"{where}.{name}"
        for name in CONTENT_FIELDS
        if extra.get(name) is not None and not isinstance(extra[name], dict)
    ]
    if wrong:
        raise _malformed(wrong)
    for name in CONTENT_FIELDS:
        value = extra[name] if name in extra else getattr(message, name, None)
        if isinstance(value, dict | BaseModel) or (value is not None and value):
            return name
    return UNKNOWN_CONTENT


def _from_message(message: _Message, *, edit: bool, where: str) -> UnifiedMessage | None:
    kind = _content_kind(message, where=where)
    if kind == "text":
        message_type, text = MessageType.TEXT, message.text
    elif kind == "contact":
        return _from_contact(message, edit=edit)
    elif kind in _MEDIA_TYPES:
        message_type, text = _MEDIA_TYPES[kind], message.caption
    elif kind in _OTHER_CONTENT:
        message_type, text = MessageType.OTHER, message.caption
    else:
        return None  # a service notice, not something a person said
    return UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        message_id=str(message.message_id),
        timestamp=_sent_at(message, edit=edit),
        text=text,
        message_type=message_type,
        sender_name=message.from_user.first_name if message.from_user else None,
        is_edit=edit,
        thread_id=message.message_thread_id if message.is_topic_message else None,
    )


def _from_contact(message: _Message, *, edit: bool) -> UnifiedMessage:
    contact = message.contact
    assert contact is not None  # _content_kind said so
    raw = contact.phone_number
    # Telegram writes the international number without "+", e.g. "79991234567".
    phone = normalize_phone(raw if raw.startswith("+") else f"+{raw}")
    own = message.from_user is not None and contact.user_id == message.from_user.id
    return UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        message_id=str(message.message_id),
        timestamp=_sent_at(message, edit=edit),
        text=phone or raw,
        message_type=MessageType.TEXT,
        sender_phone=phone if own else None,
        sender_name=message.from_user.first_name if message.from_user else None,
        is_edit=edit,
    )


def _from_callback(update_id: int, query: _CallbackQuery, *, now: datetime) -> TelegramEvent:
    if query.data is None:  # a game button: nothing for the bot to read
        return TelegramEvent(update_id, None, callback_query_id=query.id)
    pressed = query.message
    # The pressed message's chat; without it (an inline-mode message) the private chat with
    # the user has the user's id.
    chat_id = pressed.chat.id if pressed is not None else query.from_user.id
    thread_id = None
    # An inaccessible message (one without a date) says nothing about topics.
    if pressed is not None and "date" in pressed.model_fields_set and pressed.is_topic_message:
        thread_id = pressed.message_thread_id
    message = UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(chat_id),
        message_id=f"cb:{query.id}",
        timestamp=now,
        text=query.data,
        message_type=MessageType.BUTTON,
        sender_name=query.from_user.first_name,
        callback_query_id=query.id,
        thread_id=thread_id,
    )
    return TelegramEvent(update_id, message, callback_query_id=query.id)


def _sent_at(message: _Message, *, edit: bool) -> datetime:
    """The edit time for an edit (when Telegram gave one), else the send time; in UTC."""
    if edit and message.edit_date is not None:
        try:
            return datetime.fromtimestamp(message.edit_date, tz=UTC)
        except (OverflowError, OSError, ValueError):  # a date no clock can hold
            raise MalformedUpdate("date out of range") from None
    moment = message.date
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
