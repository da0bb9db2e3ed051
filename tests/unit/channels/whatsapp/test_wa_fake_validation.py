"""The fake Graph API refuses what Meta refuses (documented limits of text, reply-button,
list and template messages), with Meta's codes: 100 for a missing field, 131009 for a value
out of range, 132000/132001 for template problems."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dancebot.testing.fake_whatsapp import validate_message
from dancebot.testing.fake_whatsapp.server import FakeWhatsApp

APPROVED = FakeWhatsApp().approved


def _text(body: str = "Привет") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "79991234567",
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }


def _buttons(*titles: str) -> dict[str, Any]:
    return {
        **_text(),
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Выберите"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"id{n}", "title": title}}
                    for n, title in enumerate(titles)
                ]
            },
        },
    }


def _list(rows: list[dict[str, str]], *, label: str = "Выбрать") -> dict[str, Any]:
    return {
        **_text(),
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Выберите"},
            "action": {"button": label, "sections": [{"rows": rows}]},
        },
    }


def _rows(count: int) -> list[dict[str, str]]:
    return [{"id": f"r{n}", "title": f"Строка {n}"} for n in range(count)]


def _template(name: str, *params: str, language: str = "ru") -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {**_text(), "type": "template", "template": template}


def _code(body: Any) -> int | None:
    problem = validate_message(body, approved=APPROVED)
    return None if problem is None else problem.code


def test_valid_bodies_pass() -> None:
    assert _code(_text()) is None
    assert _code({**_text(), "to": "+79991234567"}) is None
    assert _code(_buttons("Да", "Нет", "Может быть")) is None
    assert _code(_list(_rows(10))) is None
    assert _code(_template("lesson_reminder_2h", "Анна", "Бачата")) is None


def test_missing_messaging_product_is_100() -> None:
    body = _text()
    del body["messaging_product"]
    assert _code(body) == 100


@pytest.mark.parametrize(
    "change",
    [
        {"messaging_product": "sms"},
        {"to": ""},
        {"to": "anna"},
        {"recipient_type": "broadcast"},
        {"type": "image"},
        {"text": {"body": 5}},
    ],
)
def test_missing_or_mistyped_fields_are_100(change: dict[str, Any]) -> None:
    assert _code({**_text(), **change}) == 100


def test_not_an_object_is_100() -> None:
    assert _code(["not", "an", "object"]) == 100


def test_text_longer_than_4096_is_131009() -> None:
    assert _code(_text("я" * 4096)) is None
    assert _code(_text("я" * 4097)) == 131009


def test_four_reply_buttons_are_131009() -> None:
    assert _code(_buttons("a", "b", "c", "d")) == 131009


def test_no_reply_buttons_is_131009() -> None:
    assert _code(_buttons()) == 131009


def test_reply_title_longer_than_20_is_131009() -> None:
    assert _code(_buttons("x" * 20)) is None
    assert _code(_buttons("x" * 21)) == 131009


def test_equal_reply_titles_are_131009() -> None:
    assert _code(_buttons("Да", "Да")) == 131009


def test_equal_button_ids_are_131009() -> None:
    body = _buttons("Да", "Нет")
    for button in body["interactive"]["action"]["buttons"]:
        button["reply"]["id"] = "same"
    assert _code(body) == 131009


def test_interactive_body_longer_than_1024_is_131009() -> None:
    body = _buttons("Да")
    body["interactive"]["body"]["text"] = "я" * 1025
    assert _code(body) == 131009


def test_eleven_list_rows_are_131009() -> None:
    assert _code(_list(_rows(11))) == 131009


def test_row_title_longer_than_24_is_131009() -> None:
    assert _code(_list([{"id": "r", "title": "x" * 24}])) is None
    assert _code(_list([{"id": "r", "title": "x" * 25}])) == 131009


def test_row_description_longer_than_72_is_131009() -> None:
    assert _code(_list([{"id": "r", "title": "t", "description": "x" * 73}])) == 131009


def test_list_button_label_longer_than_20_is_131009() -> None:
    assert _code(_list(_rows(2), label="x" * 21)) == 131009


def test_several_sections_need_titles() -> None:
    body = _list(_rows(2))
    body["interactive"]["action"]["sections"].append({"rows": [{"id": "z", "title": "z"}]})
    assert _code(body) == 131009
    for n, section in enumerate(body["interactive"]["action"]["sections"]):
        section["title"] = f"Раздел {n}"
    assert _code(body) is None


def test_unknown_interactive_type_is_100() -> None:
    body = copy.deepcopy(_buttons("Да"))
    body["interactive"]["type"] = "carousel"
    assert _code(body) == 100


def test_unknown_template_or_language_is_132001() -> None:
    assert _code(_template("spring_promo")) == 132001
    assert _code(_template("lesson_reminder_2h", "Ann", "Salsa", language="en")) == 132001


def test_wrong_parameter_count_is_132000() -> None:
    assert _code(_template("booking_confirm", "Анна", "Бачата")) == 132000


def test_parameter_with_a_new_line_is_100() -> None:
    assert _code(_template("lesson_reminder_2h", "Анна\nМария", "Бачата")) == 100
