from __future__ import annotations

import pytest

from dancebot.nlu.contact import extract_name
from dancebot.nlu.phone import display_phone, find_phone, looks_like_phone_attempt, mask_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7 999 123-45-67", "+79991234567"),
        ("89991234567", "+79991234567"),
        ("8 (999) 123 45 67", "+79991234567"),
        ("мой номер 79991234567", "+79991234567"),
        ("в 19, Мария +7 999 123-45-67", "+79991234567"),
        ("+7 914 700-12-34, Оля", "+79147001234"),
        ("123", None),
        ("в 19:00", None),
        ("+7 999 12", None),
        ("05.03.2026", None),
    ],
)
def test_find_phone(text: str, expected: str | None) -> None:
    assert find_phone(text) == expected


def test_phone_attempt_is_recognised_even_when_invalid() -> None:
    assert looks_like_phone_attempt("8999123")
    assert not looks_like_phone_attempt("в 19")


def test_mask_and_display() -> None:
    assert mask_phone("+79991234567") == "+7999****567"
    assert mask_phone(None) == "-"
    assert display_phone("+79991234567") == "+7 999 123-45-67"


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        ("Мария", False, "Мария"),
        ("меня зовут Алиса", False, "Алиса"),
        ("в 19, Мария +7 999 123-45-67", False, "Мария"),
        ("запишите Марию", False, "Мария"),
        ("Лоэль", True, "Лоэль"),  # not in the dictionary: taken only when asked for
        ("Лоэль", False, None),
        ("Айгерим", True, "Айгерим"),
        ("весь март", False, None),  # "марта" is the month here, not the name Марта
        ("да", True, None),
        ("хочу на контемп", False, None),
        ("сколько стоит", True, None),
        ("привет", False, None),
    ],
)
def test_extract_name(text: str, expecting: bool, expected: str | None) -> None:
    assert extract_name(text, expecting_name=expecting) == expected
