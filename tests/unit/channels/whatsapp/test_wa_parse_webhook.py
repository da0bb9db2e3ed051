"""Webhook payloads (the shapes of Meta's own examples, webhooks/reference/messages and
…/messages/status) turned into UnifiedMessages and StatusEvents."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from dancebot.adapters.channels.whatsapp.inbound import (
    MalformedWebhook,
    StatusEvent,
    parse_webhook,
)
from dancebot.domain.messages import Channel, MessageType
from dancebot.testing import fake_whatsapp as fake

NOW = datetime(2025, 6, 8, 21, 0, tzinfo=UTC)
WA_ID = "79991234567"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="


def _meta_example(message: dict[str, Any]) -> dict[str, Any]:
    """Meta's documented text-message webhook with ``message`` in place of its message."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": WA_ID}],
                            "messages": [message],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def _message(kind: str, content: Any) -> dict[str, Any]:
    return {"from": WA_ID, "id": WAMID, "timestamp": "1749416383", "type": kind, kind: content}


def test_text_message_becomes_a_unified_message() -> None:
    batch = parse_webhook(
        _meta_example(_message("text", {"body": "Does it come in another color?"})), now=NOW
    )
    assert batch.statuses == []
    [message] = batch.messages
    assert message.channel is Channel.WHATSAPP
    assert message.chat_id == WA_ID
    assert message.message_id == WAMID
    assert message.timestamp == datetime.fromtimestamp(1749416383, tz=UTC)
    assert message.text == "Does it come in another color?"
    assert message.message_type is MessageType.TEXT
    assert message.sender_phone == "+79991234567"
    assert message.sender_name == "Sheena Nelson"
    assert message.is_edit is False


def test_reply_button_press_carries_the_button_id_as_text() -> None:
    raw = _message(
        "interactive",
        {"type": "button_reply", "button_reply": {"id": "book:42", "title": "Записаться"}},
    )
    raw["context"] = {"from": "15550783881", "id": "wamid.previous"}
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert message.message_type is MessageType.BUTTON
    assert message.text == "book:42"


def test_list_choice_carries_the_row_id_as_text() -> None:
    raw = _message(
        "interactive",
        {
            "type": "list_reply",
            "list_reply": {"id": "slot:7", "title": "Пт 19:00", "description": "Бачата"},
        },
    )
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert (message.message_type, message.text) == (MessageType.BUTTON, "slot:7")


def test_template_quick_reply_carries_its_payload() -> None:
    raw = _message("button", {"payload": "confirm:99", "text": "Приду"})
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert (message.message_type, message.text) == (MessageType.BUTTON, "confirm:99")


def test_template_quick_reply_without_payload_falls_back_to_its_text() -> None:
    raw = _message("button", {"text": "Приду"})
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert message.text == "Приду"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", MessageType.VOICE),
        ("audio", MessageType.VOICE),
        ("image", MessageType.PHOTO),
        ("video", MessageType.VIDEO),
        ("document", MessageType.DOCUMENT),
        ("sticker", MessageType.STICKER),
        ("location", MessageType.LOCATION),
        ("contacts", MessageType.OTHER),
        ("reaction", MessageType.OTHER),
        ("unsupported", MessageType.OTHER),
    ],
)
def test_non_text_kinds_map_to_their_message_type(kind: str, expected: MessageType) -> None:
    payload = fake.inbound_media(kind, wa_id=WA_ID, at=NOW, wamid=WAMID)
    [message] = parse_webhook(payload, now=NOW).messages
    assert message.message_type is expected
    assert message.text is None
    assert message.is_text is False
    assert message.chat_id == WA_ID


def test_a_voice_note_arrives_as_audio_marked_voice() -> None:
    payload = fake.inbound_voice(wa_id=WA_ID, at=NOW)
    wire = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    assert wire["type"] == "audio"
    assert wire["audio"]["voice"] is True


def test_an_interactive_reply_of_another_kind_is_other() -> None:
    raw = _message("interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}})
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert message.message_type is MessageType.OTHER


def test_builders_round_trip_through_the_parser() -> None:
    at = datetime(2025, 6, 8, 20, 59, 30, tzinfo=UTC)
    text = parse_webhook(fake.inbound_text(wa_id=WA_ID, text="Привет", at=at), now=NOW)
    button = parse_webhook(
        fake.inbound_button_reply(wa_id=WA_ID, payload="yes", title="Да", at=at), now=NOW
    )
    row = parse_webhook(
        fake.inbound_list_reply(wa_id=WA_ID, payload="row-3", title="Сб 12:00", at=at), now=NOW
    )
    assert (text.messages[0].text, text.messages[0].timestamp) == ("Привет", at)
    assert text.messages[0].sender_name == "Анна"
    assert button.messages[0].text == "yes"
    assert row.messages[0].text == "row-3"


def test_a_message_without_a_contact_profile_has_no_name() -> None:
    payload = _meta_example(_message("text", {"body": "hi"}))
    del payload["entry"][0]["changes"][0]["value"]["contacts"]
    [message] = parse_webhook(payload, now=NOW).messages
    assert message.sender_name is None
    assert message.sender_phone == "+79991234567"


def test_a_missing_timestamp_takes_now() -> None:
    raw = _message("text", {"body": "hi"})
    del raw["timestamp"]
    [message] = parse_webhook(_meta_example(raw), now=NOW).messages
    assert message.timestamp == NOW


def test_several_entries_and_changes_keep_their_order() -> None:
    first = fake.inbound_text(wa_id=WA_ID, text="раз", at=NOW, wamid="wamid.1")
    second = fake.inbound_text(wa_id="79990000001", text="два", at=NOW, wamid="wamid.2")
    third = fake.inbound_text(wa_id=WA_ID, text="три", at=NOW, wamid="wamid.3")
    first["entry"][0]["changes"].extend(second["entry"][0]["changes"])
    first["entry"].extend(third["entry"])
    batch = parse_webhook(first, now=NOW)
    assert [m.text for m in batch.messages] == ["раз", "два", "три"]
    assert [m.chat_id for m in batch.messages] == [WA_ID, "79990000001", WA_ID]


def test_delivered_status_becomes_a_status_event() -> None:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "statuses": [
                                {
                                    "id": WAMID,
                                    "status": "delivered",
                                    "timestamp": "1750263773",
                                    "recipient_id": WA_ID,
                                    "conversation": {
                                        "id": "4bee6ee63cc4b1d0e8f9a3c9f1a2b3c4",
                                        "origin": {"type": "service"},
                                    },
                                    "pricing": {
                                        "billable": True,
                                        "pricing_model": "PMP",
                                        "category": "service",
                                    },
                                }
                            ],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }
    batch = parse_webhook(payload, now=NOW)
    assert batch.messages == []
    assert batch.statuses == [
        StatusEvent(
            message_id=WAMID,
            status="delivered",
            recipient=WA_ID,
            timestamp=datetime.fromtimestamp(1750263773, tz=UTC),
        )
    ]


def test_failed_status_carries_the_error_code_and_title() -> None:
    payload = fake.status_update(
        wamid=WAMID, status="failed", recipient=WA_ID, at=NOW, error_code=131047
    )
    [event] = parse_webhook(payload, now=NOW).statuses
    assert event.status == "failed"
    assert event.error_code == 131047
    assert event.error_title == "Re-engagement message"
    assert event.timestamp == NOW


@pytest.mark.parametrize("status", ["sent", "delivered", "read"])
def test_each_known_status_is_kept_without_an_error(status: str) -> None:
    payload = fake.status_update(wamid=WAMID, status=status, recipient=WA_ID, at=NOW)
    [event] = parse_webhook(payload, now=NOW).statuses
    assert (event.status, event.error_code, event.error_title) == (status, None, None)


def test_unknown_statuses_are_skipped() -> None:
    payload = fake.status_update(wamid=WAMID, status="played", recipient=WA_ID, at=NOW)
    assert parse_webhook(payload, now=NOW).statuses == []


def test_a_change_with_neither_messages_nor_statuses_is_an_empty_batch() -> None:
    payload = _meta_example(_message("text", {"body": "x"}))
    value = payload["entry"][0]["changes"][0]["value"]
    del value["messages"]
    value["errors"] = [{"code": 131051, "title": "Unsupported message type"}]
    batch = parse_webhook(payload, now=NOW)
    assert (batch.messages, batch.statuses) == ([], [])


def test_no_entries_is_an_empty_batch() -> None:
    batch = parse_webhook({"object": "whatsapp_business_account", "entry": []}, now=NOW)
    assert (batch.messages, batch.statuses) == ([], [])


def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    payload = copy.deepcopy(_meta_example(_message("text", {"body": "hi"})))
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


_DELETE = object()
_MSG = ("entry", 0, "changes", 0, "value", "messages", 0)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "not a JSON object"),
        ({"object": "page", "entry": []}, "whatsapp_business_account"),
        ({"object": "whatsapp_business_account"}, "entry"),
        (_broken(("entry",), {"id": 1}), "entry"),
        (_broken(("entry", 0, "changes"), None), "changes"),
        (_broken(("entry", 0, "changes", 0, "value"), "x"), "value"),
        (_broken(("entry", 0, "changes", 0, "value", "messages"), {"a": 1}), "messages"),
        (_broken((*_MSG, "from"), _DELETE), "from"),
        (_broken((*_MSG, "from"), "+79991234567"), "from"),
        (_broken((*_MSG, "id"), ""), "id"),
        (_broken((*_MSG, "type"), _DELETE), "type"),
        (_broken((*_MSG, "text"), _DELETE), "text"),
        (_broken((*_MSG, "text"), {"body": 5}), "body"),
        (_broken((*_MSG, "timestamp"), "yesterday"), "timestamp"),
        (_broken((*_MSG, "timestamp"), "99999999999999999999"), "timestamp"),
        (_broken(("entry", 0, "changes", 0, "value", "statuses"), [{"id": "w"}]), "status"),
    ],
)
def test_malformed_payloads_raise_with_a_reason(payload: Any, reason: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_webhook(payload, now=NOW)
    assert reason in caught.value.reason


def test_an_interactive_reply_without_its_id_is_malformed() -> None:
    raw = _message("interactive", {"type": "button_reply", "button_reply": {"title": "Да"}})
    with pytest.raises(MalformedWebhook, match=r"button_reply\.id"):
        parse_webhook(_meta_example(raw), now=NOW)


def test_a_failed_status_without_a_recipient_is_malformed() -> None:
    payload = fake.status_update(wamid=WAMID, status="failed", recipient=WA_ID, at=NOW)
    del payload["entry"][0]["changes"][0]["value"]["statuses"][0]["recipient_id"]
    with pytest.raises(MalformedWebhook, match="recipient_id"):
        parse_webhook(payload, now=NOW)
