"""Our update parser against aiogram's (a dev dependency, D65): the updates the fake Telegram
builds are valid ``aiogram.types.Update`` objects, and for any update aiogram accepts our
parser gives exactly what the aiogram-based parser gave before (``reference_parse`` below is
that parser). We may accept more (fields the bot never reads are not checked in depth), but
never less: a real Telegram update is never refused."""

from __future__ import annotations

import contextlib
import copy
import inspect
import re
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message, Update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from dancebot.adapters.channels.telegram.inbound import (
    CONTENT_FIELDS,
    MalformedUpdate,
    TelegramEvent,
    parse_update,
)
from dancebot.domain.messages import Channel, MessageType, UnifiedMessage
from dancebot.nlu.phone import normalize_phone
from dancebot.testing.fake_telegram import (
    callback_update,
    channel_post_update,
    contact_update,
    edited_update,
    media_update,
    my_chat_member_update,
    service_update,
    text_update,
    topic_update,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
VOICE = {"file_id": "AwA1", "file_unique_id": "AgAD1", "duration": 3}
CHAT = 351_234_567
GROUP = -1_001_987_654_321
MEDIA_KINDS = (
    "voice", "sticker", "photo", "video", "video_note", "animation", "document", "location",
    "venue", "audio", "poll", "dice",
)  # fmt: skip

# ---- the parser as it was on aiogram 3 (before D65), kept as the reference ----------------

_MEDIA = {
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
_OTHER = {
    ContentType.UNKNOWN, ContentType.AUDIO, ContentType.LIVE_PHOTO, ContentType.PAID_MEDIA,
    ContentType.STORY, ContentType.CHECKLIST, ContentType.DICE, ContentType.GAME,
    ContentType.POLL, ContentType.INVOICE, ContentType.WEB_APP_DATA, ContentType.USERS_SHARED,
    ContentType.CHAT_SHARED,
}  # fmt: skip


def _utc(moment: datetime | int) -> datetime:
    if isinstance(moment, int):
        try:
            return datetime.fromtimestamp(moment, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise MalformedUpdate("date out of range") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _topic(message: Message | None) -> int | None:
    return message.message_thread_id if message and message.is_topic_message else None


def _reference_message(message: Message, *, edit: bool) -> UnifiedMessage | None:
    kind = message.content_type
    when = message.edit_date if edit and message.edit_date is not None else message.date
    sender = message.from_user.first_name if message.from_user else None
    common: dict[str, Any] = {
        "channel": Channel.TELEGRAM,
        "chat_id": str(message.chat.id),
        "message_id": str(message.message_id),
        "timestamp": _utc(when),
        "sender_name": sender,
        "is_edit": edit,
    }
    if kind == ContentType.CONTACT:
        assert message.contact is not None
        raw = message.contact.phone_number
        phone = normalize_phone(raw if raw.startswith("+") else f"+{raw}")
        own = message.from_user is not None and message.contact.user_id == message.from_user.id
        return UnifiedMessage(
            **common,
            text=phone or raw,
            message_type=MessageType.TEXT,
            sender_phone=phone if own else None,
        )
    if kind == ContentType.TEXT:
        message_type, text = MessageType.TEXT, message.text
    elif kind in _MEDIA:
        message_type, text = _MEDIA[ContentType(kind)], message.caption
    elif kind in _OTHER:
        message_type, text = MessageType.OTHER, message.caption
    else:
        return None
    return UnifiedMessage(**common, text=text, message_type=message_type, thread_id=_topic(message))


def _reference_callback(update_id: int, query: CallbackQuery) -> TelegramEvent:
    if query.data is None:
        return TelegramEvent(update_id, None, callback_query_id=query.id)
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    pressed = query.message if isinstance(query.message, Message) else None
    message = UnifiedMessage(
        channel=Channel.TELEGRAM,
        chat_id=str(chat_id),
        message_id=f"cb:{query.id}",
        timestamp=NOW,
        text=query.data,
        message_type=MessageType.BUTTON,
        sender_name=query.from_user.first_name,
        callback_query_id=query.id,
        thread_id=_topic(pressed),
    )
    return TelegramEvent(update_id, message, callback_query_id=query.id)


def reference_parse(data: dict[str, Any]) -> TelegramEvent:
    """Raises ``ValidationError`` or ``MalformedUpdate`` where the old parser refused."""
    update = Update.model_validate(data)
    if update.message is not None:
        return TelegramEvent(update.update_id, _reference_message(update.message, edit=False))
    if update.edited_message is not None:
        edited = _reference_message(update.edited_message, edit=True)
        return TelegramEvent(update.update_id, edited)
    if update.callback_query is not None:
        return _reference_callback(update.update_id, update.callback_query)
    return TelegramEvent(update.update_id, None)


def readable(event: TelegramEvent) -> tuple[object, ...]:
    """What an event says (the message's ``trace_id`` is new for every message read)."""
    message = event.message.model_dump(exclude={"trace_id"}) if event.message else None
    return (event.update_id, event.callback_query_id, message)


# ---- the fake's updates ---------------------------------------------------------------------


def fake_updates() -> list[dict[str, Any]]:
    """One of every update the fake Telegram builds, in every variant it has."""
    return [
        text_update(CHAT, "Хочу на пробное", first_name="Мария"),
        text_update(GROUP, "/reply 42 Да", first_name="Татьяна"),
        edited_update(CHAT, "в субботу", message_id=77),
        topic_update(GROUP, 4242, "Здравствуйте!"),
        topic_update(GROUP, 4242, "исправила", message_id=9, edit_date=NOW),
        callback_update(CHAT, "book:1234:2025-03-15"),
        callback_update(GROUP, "adm:done:telegram:1", thread_id=4242),
        contact_update(CHAT, "79991234567", own=True),
        contact_update(CHAT, "+7 (912) 345-67-89", own=False),
        *(media_update(kind, CHAT) for kind in MEDIA_KINDS),
        media_update("photo", CHAT, caption="Это мой абонемент"),
        service_update(GROUP),
        my_chat_member_update(CHAT),
        channel_post_update(-1_001_555_000_111, "Новое расписание"),
    ]


@pytest.mark.parametrize(
    "update", fake_updates(), ids=lambda u: next(iter(u.keys() - {"update_id"}))
)
def test_the_fakes_updates_are_telegram_updates_read_the_same(update: dict[str, Any]) -> None:
    Update.model_validate(update)  # what Telegram sends, as aiogram models the Bot API
    assert readable(parse_update(update, now=NOW)) == readable(reference_parse(update))


def test_the_fakes_updates_reach_every_message_type() -> None:
    """So the comparisons here go through every branch of the mapping."""
    events = [parse_update(update, now=NOW) for update in fake_updates()]
    assert [event.message is None for event in events].count(True) == 3  # service, member, post
    assert {event.message.message_type for event in events if event.message} == set(MessageType)


# ---- the content kinds --------------------------------------------------------------------


def test_content_fields_are_aiograms_in_its_order() -> None:
    source = inspect.getsource(Message.content_type.fget)  # type: ignore[attr-defined]
    pairs = re.findall(r"if self\.(\w+):\s+return ContentType\.(\w+)", source)
    assert tuple(field for field, _ in pairs) == CONTENT_FIELDS
    assert all(ContentType[kind].value == field for field, kind in pairs)


def _json_type(field: str) -> type:
    annotation = Message.model_fields[field].annotation
    inner = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(inner[0]) is list:
        return list
    if all(isinstance(a, type) and issubclass(a, BaseModel) for a in inner):
        return dict  # an object, or one of several (pinned_message: maybe inaccessible)
    (scalar,) = inner
    return scalar  # type: ignore[no-any-return]


@pytest.mark.parametrize("field", [f for f in CONTENT_FIELDS if f != "text"])
def test_a_content_field_of_the_wrong_json_type_is_refused_like_aiogram(field: str) -> None:
    wrong: object = 5 if _json_type(field) in (dict, list, str) else {"x": 1}
    update = media_update("voice", CHAT)
    del update["message"]["voice"]
    update["message"][field] = wrong
    with pytest.raises(ValidationError):
        Update.model_validate(update)
    with pytest.raises(MalformedUpdate, match=f"message.{field}"):
        parse_update(update, now=NOW)


def _pressed(message: dict[str, Any] | None) -> dict[str, Any]:
    """A button pressed under ``message`` (None: an inline-mode message, no message at all)."""
    update = callback_update(GROUP, "adm:take:x", thread_id=77)
    update["callback_query"]["message"] = message
    if message is None:
        del update["callback_query"]["message"]
    return update


def _with(fields: dict[str, Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    update = text_update(CHAT, "привет", date=NOW)
    for name in drop:
        del update["message"][name]
    update["message"].update(fields)
    return update


_CHAT = {"id": GROUP, "title": "Админы", "type": "supergroup", "is_forum": True}
_TOPIC = {"is_topic_message": True, "message_thread_id": 77}
TRICKY = {
    "inaccessible_with_topic_fields": _pressed({"chat": _CHAT, "message_id": 5, **_TOPIC}),
    "date_zero_is_a_message": _pressed({"chat": _CHAT, "message_id": 5, "date": 0, **_TOPIC}),
    "inaccessible_date_zero": _pressed({"chat": _CHAT, "message_id": 5, "date": 0}),
    "no_pressed_message": _pressed(None),
    "empty_text_and_a_photo": _with({"text": "", "photo": [], "caption": "подпись"}),
    "empty_text_only": _with({"text": ""}),
    "text_wins_over_a_voice": _with({"voice": VOICE}),
    "zero_migrate_id_is_not_set": _with(
        {"migrate_to_chat_id": 0, "dice": {"emoji": "🎲", "value": 1}}, drop=("text",)
    ),
    "empty_object_counts": _with({"forum_topic_closed": {}, "poll": None}, drop=("text",)),
    "numeric_strings": _with({"message_id": "12", "date": "1741944590", "edit_date": "5"}),
    "iso_date_without_zone": _with({"date": "2025-03-14T09:29:50"}),
    "reply_thread_is_no_topic": _with({"message_thread_id": 4242}),
}


@pytest.mark.parametrize("update", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_updates_are_read_like_aiogram(update: dict[str, Any]) -> None:
    assert readable(parse_update(update, now=NOW)) == readable(reference_parse(update))


# ---- any update: the same reading wherever aiogram accepts it ------------------------------

# valid values for content fields, to set several at once (the first set one decides)
_CONTENT_SAMPLES: dict[str, Any] = {
    **{kind: media_update(kind, CHAT)["message"][kind] for kind in MEDIA_KINDS},
    "text": "привет",
    "contact": {"phone_number": "79991234567", "first_name": "Анна", "user_id": CHAT},
    "new_chat_title": "Студия",
    "new_chat_members": [],
    "new_chat_photo": [],
    "delete_chat_photo": True,
    "group_chat_created": False,
    "migrate_to_chat_id": 0,
    "migrate_from_chat_id": -1_001_000_000_001,
    "forum_topic_closed": {},
    "forum_topic_reopened": {},
    "left_chat_member": {"id": 5, "is_bot": False, "first_name": "Ира"},
    "connected_website": "",
    "dice": {"emoji": "🎲", "value": 6},
}
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, 10**17, 1.0, 1.5, "", "17", "x", "2025-03-14T09:29:50", [], {}]),
)


@st.composite
def mutated_updates(draw: st.DrawFn) -> dict[str, Any]:
    update: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(fake_updates())))
    body = next(value for key, value in update.items() if key != "update_id")
    message = body.get("message", body) if "chat_instance" in body else body
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        op = draw(
            st.sampled_from(["content", "drop", "scalar", "topic", "clear_text", "inaccessible"])
        )
        if op == "content":
            field = draw(st.sampled_from(sorted(_CONTENT_SAMPLES)))
            message[field] = copy.deepcopy(_CONTENT_SAMPLES[field])
        elif op == "drop" and body:
            target = draw(st.sampled_from([body, message]))
            if target:
                target.pop(draw(st.sampled_from(sorted(target))), None)
        elif op == "scalar":
            field = draw(
                st.sampled_from(
                    ["date", "edit_date", "message_id", "caption", "text", "message_thread_id"]
                )
            )
            message[field] = draw(_SCALARS)
        elif op == "topic":
            message["is_topic_message"] = draw(st.booleans() | st.none())
            message["message_thread_id"] = draw(st.integers(min_value=1, max_value=99))
        elif op == "clear_text" and "text" in message:
            message["text"] = ""
        elif op == "inaccessible" and "chat_instance" in body and "chat" in message:
            # a pressed message too old for the bot: chat and id, date 0 or none
            kept = {"chat": message["chat"], "message_id": message.get("message_id", 1)}
            body["message"] = message = kept | draw(st.sampled_from([{}, {"date": 0}]))
    if draw(st.booleans()) and isinstance(message.get("from"), dict):
        message["from"]["id"] = draw(st.sampled_from([CHAT, 7_000_000_001, "351234567"]))
    return update


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(update=mutated_updates())
def test_wherever_aiogram_reads_an_update_we_read_it_the_same(update: dict[str, Any]) -> None:
    try:
        expected = reference_parse(update)
    except (ValidationError, MalformedUpdate):
        # we may be more lenient, but refusing is the only way we fail
        with contextlib.suppress(MalformedUpdate):
            parse_update(update, now=NOW)
        return
    assert readable(parse_update(update, now=NOW)) == readable(expected)
