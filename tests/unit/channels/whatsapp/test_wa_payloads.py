"""What the sender puts on the wire for each kind of outbound message, and how it reads a
Graph API error answer. The same bodies are checked against the fake's validation, which
follows Meta's documented limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from dancebot.adapters.channels.whatsapp.sender import (
    WhatsAppSender,
    error_for,
    shorten,
    unique_titles,
)
from dancebot.domain.messages import Button, Channel, OutboundMessage, TemplateCall
from dancebot.ports.channels import (
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    OutsideWindow,
)
from dancebot.testing.fake_whatsapp import validate_message
from dancebot.testing.fake_whatsapp.server import FakeWhatsApp

WA_ID = "79991234567"
APPROVED = FakeWhatsApp().approved


@pytest.fixture
async def sender() -> AsyncIterator[WhatsAppSender]:
    # Building payloads does no I/O; the client is never used here.
    async with httpx.AsyncClient() as http:
        yield WhatsAppSender(http, token="t", phone_number_id="1", api_base="http://graph")


def _message(text: str = "Выберите", buttons: tuple[Button, ...] = ()) -> OutboundMessage:
    return OutboundMessage(channel=Channel.WHATSAPP, chat_id=WA_ID, text=text, buttons=buttons)


def _buttons(count: int, *, title: str = "Вариант") -> tuple[Button, ...]:
    return tuple(Button(title=f"{title} {n}", payload=f"p{n}") for n in range(1, count + 1))


def test_plain_text(sender: WhatsAppSender) -> None:
    body = sender.payload_for(_message("Привет!"))
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "Привет!"},
    }
    assert validate_message(body, approved=APPROVED) is None


@pytest.mark.parametrize("count", [1, 2, 3])
def test_up_to_three_buttons_are_reply_buttons(sender: WhatsAppSender, count: int) -> None:
    body = sender.payload_for(_message(buttons=_buttons(count)))
    interactive = body["interactive"]
    assert body["type"] == "interactive"
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "Выберите"}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": f"p{n}", "title": f"Вариант {n}"}}
        for n in range(1, count + 1)
    ]
    assert validate_message(body, approved=APPROVED) is None


def test_a_button_without_payload_sends_its_title_as_id(sender: WhatsAppSender) -> None:
    body = sender.payload_for(_message(buttons=(Button(title="Да"),)))
    assert body["interactive"]["action"]["buttons"][0]["reply"] == {"id": "Да", "title": "Да"}


@pytest.mark.parametrize("count", [4, 5, 10])
def test_four_to_ten_buttons_become_a_list(sender: WhatsAppSender, count: int) -> None:
    body = sender.payload_for(_message(buttons=_buttons(count)))
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Выбрать"
    [section] = interactive["action"]["sections"]
    assert section["rows"] == [
        {"id": f"p{n}", "title": f"Вариант {n}"} for n in range(1, count + 1)
    ]
    assert validate_message(body, approved=APPROVED) is None


def test_more_than_ten_buttons_keep_the_first_ten(sender: WhatsAppSender) -> None:
    body = sender.payload_for(_message(buttons=_buttons(13)))
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == [f"p{n}" for n in range(1, 11)]
    assert validate_message(body, approved=APPROVED) is None


def test_long_reply_titles_are_shortened_never_dropped(sender: WhatsAppSender) -> None:
    buttons = (
        Button(title="Записаться на пробное занятие", payload="trial"),
        Button(title="Узнать расписание на неделю", payload="schedule"),
        Button(title="Цены", payload="prices"),
    )
    body = sender.payload_for(_message(buttons=buttons))
    replies = [b["reply"] for b in body["interactive"]["action"]["buttons"]]
    assert [r["id"] for r in replies] == ["trial", "schedule", "prices"]
    assert [r["title"] for r in replies] == ["Записаться на пробн…", "Узнать расписание н…", "Цены"]
    assert all(len(r["title"]) <= 20 for r in replies)
    assert validate_message(body, approved=APPROVED) is None


def test_long_row_titles_are_shortened_and_kept_whole_in_the_description(
    sender: WhatsAppSender,
) -> None:
    long_title = "Пятница 19:00 — Contemporary, начинающие"
    buttons = (Button(title=long_title, payload="s1"), *_buttons(3))
    body = sender.payload_for(_message(buttons=buttons))
    first = body["interactive"]["action"]["sections"][0]["rows"][0]
    assert first["title"] == "Пятница 19:00 — Contemp…"
    assert first["description"] == long_title
    assert validate_message(body, approved=APPROVED) is None


def test_titles_that_shorten_alike_stay_distinct() -> None:
    titles = unique_titles(
        ["Contemporary начинающие 19:00", "Contemporary начинающие 20:30", "Contemporary"],
        limit=20,
    )
    assert len(set(titles)) == 3
    assert all(len(t) <= 20 for t in titles)
    assert titles[2] == "Contemporary"


def test_shorten_leaves_short_titles_alone() -> None:
    assert shorten("  Да  ", 20) == "Да"
    assert shorten("x" * 20, 20) == "x" * 20
    assert shorten("x" * 21, 20) == "x" * 19 + "…"


def test_template_call_becomes_a_template_message(sender: WhatsAppSender) -> None:
    call = TemplateCall(name="lesson_reminder_24h", params=("Анна", "19:00", "Contemporary"))
    message = _message("Привет Анна! …").model_copy(update={"template": call})
    body = sender.payload_for(message)
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "lesson_reminder_24h",
        "language": {"code": "ru"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Анна"},
                    {"type": "text", "text": "19:00"},
                    {"type": "text", "text": "Contemporary"},
                ],
            }
        ],
    }
    assert "text" not in body
    assert validate_message(body, approved=APPROVED) is None


def test_a_template_call_that_does_not_fit_its_template_is_rejected_before_sending(
    sender: WhatsAppSender,
) -> None:
    call = TemplateCall(name="booking_confirm", params=("Анна",))
    message = _message().model_copy(update={"template": call})
    with pytest.raises(ChannelRejected, match="takes 3 parameters"):
        sender.payload_for(message)


def test_a_template_unknown_to_us_goes_as_asked(sender: WhatsAppSender) -> None:
    call = TemplateCall(name="spring_promo", params=())
    body = sender.payload_for(_message().model_copy(update={"template": call}))
    assert body["template"] == {"name": "spring_promo", "language": {"code": "ru"}}


def _graph_error(
    status: int, code: int | None, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 4, ChannelRateLimited),
        (429, None, ChannelRateLimited),
        (400, 130429, ChannelRateLimited),
        (400, 131056, ChannelRateLimited),
        (400, 80007, ChannelRateLimited),
        (400, 131047, OutsideWindow),
        (500, 131000, ChannelUnavailable),
        (503, 131016, ChannelUnavailable),
        (400, 131000, ChannelUnavailable),
        (502, None, ChannelUnavailable),
        (400, 131026, ChannelRejected),
        (400, 131009, ChannelRejected),
        (400, 100, ChannelRejected),
        (400, 132000, ChannelRejected),
        (404, 132001, ChannelRejected),
        (401, 190, ChannelRejected),
        (403, 10, ChannelRejected),
    ],
)
def test_graph_errors_map_to_channel_errors(
    status: int, code: int | None, expected: type[Exception]
) -> None:
    error = error_for(_graph_error(status, code))
    assert type(error) is expected
    assert f"HTTP {status}" in str(error)
    if code is not None:
        assert f"error {code}" in str(error)


def test_retry_after_header_is_passed_on() -> None:
    error = error_for(_graph_error(429, 4, headers={"Retry-After": "7"}))
    assert isinstance(error, ChannelRateLimited)
    assert error.retry_after == 7.0


def test_a_non_json_error_body_still_maps_by_status() -> None:
    assert isinstance(error_for(httpx.Response(502, text="<html>bad gateway")), ChannelUnavailable)
    assert isinstance(error_for(httpx.Response(400, text="nope")), ChannelRejected)


def test_phones_in_error_details_are_masked() -> None:
    body = {
        "error": {
            "message": "(#131026) Message undeliverable",
            "code": 131026,
            "error_data": {"details": "Recipient +79991234567 cannot be reached"},
        }
    }
    error = error_for(httpx.Response(400, json=body))
    assert "+79991234567" not in str(error)
    assert "+7999****567" in str(error)
