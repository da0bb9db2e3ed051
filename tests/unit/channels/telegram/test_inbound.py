"""Telegram updates (realistic Bot API JSON) → UnifiedMessage, and the webhook secret check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dancebot.adapters.channels.telegram.inbound import (
    MalformedUpdate,
    TelegramEvent,
    is_admin_chat,
    parse_update,
    verify_secret,
)
from dancebot.domain.messages import Channel, MessageType
from dancebot.testing.fake_telegram import (
    callback_update,
    channel_post_update,
    contact_update,
    edited_update,
    media_update,
    my_chat_member_update,
    service_update,
    text_update,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SENT = datetime(2025, 3, 14, 9, 29, 50, tzinfo=UTC)
CHAT = 351_234_567
ADMIN_GROUP = -1_001_987_654_321


def parse(update: dict[str, object]) -> TelegramEvent:
    return parse_update(update, now=NOW)


def test_text_message_maps_every_field() -> None:
    update = text_update(CHAT, "Хочу на пробное", message_id=77, first_name="Мария", date=SENT)
    event = parse(update)
    message = event.message
    assert message is not None
    assert event.update_id == update["update_id"]
    assert event.callback_query_id is None
    assert message.channel is Channel.TELEGRAM
    assert message.chat_id == str(CHAT)
    assert message.message_id == "77"
    assert message.text == "Хочу на пробное"
    assert message.message_type is MessageType.TEXT
    assert message.sender_name == "Мария"
    assert message.sender_phone is None
    assert message.is_edit is False
    assert message.timestamp == SENT
    assert message.timestamp.tzinfo is not None
    assert message.timestamp.utcoffset() == UTC.utcoffset(None)


def test_edited_message_keeps_id_and_takes_the_edit_time() -> None:
    edited_at = datetime(2025, 3, 14, 9, 31, 5, tzinfo=UTC)
    update = edited_update(CHAT, "в субботу", message_id=77, date=SENT, edit_date=edited_at)
    message = parse(update).message
    original = parse(text_update(CHAT, "в пятницу", message_id=77, date=SENT)).message
    assert message is not None and original is not None
    assert message.is_edit is True
    assert message.message_id == "77"
    assert message.text == "в субботу"
    assert message.timestamp == edited_at
    assert message.dedup_key != original.dedup_key  # an edit is processed, not dropped


def test_button_press_carries_its_payload_and_query_id() -> None:
    update = callback_update(CHAT, "book:1234:2025-03-15", callback_id="98765", first_name="Ольга")
    event = parse(update)
    message = event.message
    assert message is not None
    assert event.callback_query_id == "98765"
    assert message.callback_query_id == "98765"
    assert message.message_type is MessageType.BUTTON
    assert message.text == "book:1234:2025-03-15"
    assert message.message_id == "cb:98765"
    assert message.chat_id == str(CHAT)
    assert message.sender_name == "Ольга"
    assert message.timestamp == NOW  # a callback query has no date of its own
    assert message.is_text


def test_button_press_without_data_is_ignored_but_still_answerable() -> None:
    update = callback_update(CHAT, "x", callback_id="555")
    del update["callback_query"]["data"]
    update["callback_query"]["game_short_name"] = "dance"
    event = parse(update)
    assert event.message is None
    assert event.callback_query_id == "555"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", MessageType.VOICE),
        ("sticker", MessageType.STICKER),
        ("photo", MessageType.PHOTO),
        ("video", MessageType.VIDEO),
        ("video_note", MessageType.VIDEO),
        ("animation", MessageType.VIDEO),
        ("document", MessageType.DOCUMENT),
        ("location", MessageType.LOCATION),
        ("venue", MessageType.LOCATION),
        ("audio", MessageType.OTHER),
        ("poll", MessageType.OTHER),
        ("dice", MessageType.OTHER),
    ],
)
def test_non_text_kinds_map_to_their_message_type(kind: str, expected: MessageType) -> None:
    message = parse(media_update(kind, CHAT, message_id=12)).message
    assert message is not None
    assert message.message_type is expected
    assert message.text is None
    assert not message.is_text
    assert message.message_id == "12"


def test_caption_of_a_photo_is_kept_as_text_but_the_type_stays_photo() -> None:
    message = parse(media_update("photo", CHAT, caption="Это мой абонемент")).message
    assert message is not None
    assert message.message_type is MessageType.PHOTO
    assert message.text == "Это мой абонемент"
    assert not message.is_text


def test_unknown_content_kind_is_other() -> None:
    update = text_update(CHAT, "x")
    del update["message"]["text"]
    update["message"]["hologram"] = {"file_id": "abc"}  # a kind this aiogram does not know
    message = parse(update).message
    assert message is not None
    assert message.message_type is MessageType.OTHER


def test_own_shared_contact_fills_sender_phone_and_text_in_e164() -> None:
    message = parse(contact_update(CHAT, "79991234567", own=True)).message
    assert message is not None
    assert message.message_type is MessageType.TEXT
    assert message.text == "+79991234567"
    assert message.sender_phone == "+79991234567"


def test_someone_elses_contact_is_text_but_not_the_senders_phone() -> None:
    message = parse(contact_update(CHAT, "+7 (912) 345-67-89", own=False)).message
    assert message is not None
    assert message.text == "+79123456789"
    assert message.sender_phone is None


@pytest.mark.parametrize(
    "update",
    [
        my_chat_member_update(CHAT, status="kicked"),
        channel_post_update(-1_001_555_000_111, "Новое расписание"),
        service_update(ADMIN_GROUP),
        {"update_id": 10},
        {
            "update_id": 11,
            "inline_query": {
                "id": "1",
                "from": {"id": CHAT, "is_bot": False, "first_name": "А"},
                "query": "сальса",
                "offset": "",
            },
        },
    ],
    ids=["my_chat_member", "channel_post", "service_message", "empty", "inline_query"],
)
def test_updates_the_bot_does_not_read_give_no_message(update: dict[str, object]) -> None:
    event = parse(update)
    assert event.message is None
    assert event.callback_query_id is None
    assert event.update_id == update["update_id"]


def test_group_message_has_the_group_as_chat_and_the_writer_as_sender() -> None:
    message = parse(text_update(ADMIN_GROUP, "/reply 42 Да", first_name="Татьяна")).message
    assert message is not None
    assert message.chat_id == str(ADMIN_GROUP)
    assert message.sender_name == "Татьяна"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "update",
        None,
        {},
        {"update_id": "not-a-number"},
        {"update_id": 5, "message": {"text": "no chat, no date, no id"}},
        {"update_id": 5, "message": {"message_id": 1, "date": 1, "chat": {"id": "x"}}},
        {"update_id": 5, "callback_query": {"id": "1", "data": "x"}},
    ],
    ids=[
        "list",
        "string",
        "null",
        "no_update_id",
        "bad_update_id",
        "message_without_fields",
        "bad_chat",
        "callback_without_from",
    ],
)
def test_malformed_bodies_raise_malformed_update(body: object) -> None:
    with pytest.raises(MalformedUpdate) as caught:
        parse_update(body, now=NOW)
    assert caught.value.reason
    assert isinstance(caught.value, ValueError)


def test_malformed_reason_names_fields_not_values() -> None:
    secret_text = "мой телефон 89991234567"
    body = {"update_id": 5, "message": {"message_id": "x", "text": secret_text}}
    with pytest.raises(MalformedUpdate) as caught:
        parse_update(body, now=NOW)
    assert "message.message_id" in caught.value.reason
    assert secret_text not in caught.value.reason


@pytest.mark.parametrize(
    ("header", "expected", "ok"),
    [
        ("s3cr3t-Token_1", "s3cr3t-Token_1", True),
        ("s3cr3t-Token_2", "s3cr3t-Token_1", False),
        (None, "s3cr3t-Token_1", False),
        ("", "s3cr3t-Token_1", False),
        ("s3cr3t", "s3cr3t-Token_1", False),
        ("s3cr3t-Token_1-and-more", "s3cr3t-Token_1", False),
        ("", "", False),
        ("секрет", "s3cr3t-Token_1", False),
    ],
    ids=["right", "wrong", "missing", "empty", "shorter", "longer", "unset", "non_ascii"],
)
def test_verify_secret(header: str | None, expected: str, ok: bool) -> None:
    assert verify_secret(header, expected) is ok


def test_is_admin_chat() -> None:
    admin = parse(text_update(ADMIN_GROUP, "ок"))
    client = parse(text_update(CHAT, "привет"))
    ignored = parse(my_chat_member_update(CHAT))
    assert is_admin_chat(admin, ADMIN_GROUP)
    assert is_admin_chat(admin, str(ADMIN_GROUP))
    assert not is_admin_chat(client, ADMIN_GROUP)
    assert not is_admin_chat(admin, None)
    assert not is_admin_chat(ignored, CHAT)


def test_a_message_in_a_forum_topic_keeps_its_topic_a_reply_thread_does_not() -> None:
    from dancebot.testing.fake_telegram import callback_update, topic_update

    in_topic = parse(topic_update(ADMIN_GROUP, 4242, "Здравствуйте!")).message
    assert in_topic is not None and in_topic.thread_id == 4242
    reply_thread = text_update(ADMIN_GROUP, "ответ в ветке")
    reply_thread["message"]["message_thread_id"] = 4242  # a reply chain, no topic
    plain = parse(reply_thread).message
    assert plain is not None and plain.thread_id is None
    pressed = parse(callback_update(ADMIN_GROUP, "adm:done:telegram:1", thread_id=4242)).message
    assert pressed is not None and pressed.thread_id == 4242
