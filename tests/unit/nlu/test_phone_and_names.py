from __future__ import annotations

import pytest

from dancebot.nlu.names import find_name
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
    ("text", "expecting", "contact", "expected"),
    [
        ("Мария", True, False, "Мария"),
        ("Мария", False, False, None),  # a bare word outside any question about the name
        ("меня зовут Алиса", False, False, "Алиса"),
        ("в 19, Мария +7 999 123-45-67", False, True, "Мария"),
        ("запишите Марию", False, True, "Мария"),
        ("Ника", True, False, "Ника"),  # kept as written, never lemmatised to "Ник"
        ("ника", False, True, "Ника"),
        ("Вера", True, False, "Вера"),  # a name that is also a word, when asked for
        ("ой, имя поправьте: Екатерина", False, True, "Екатерина"),  # never "Поправьте"
        ("это Ольга Петровна", False, False, "Ольга Петровна"),
        ("Лоэль", True, False, "Лоэль"),  # not in the dictionary: taken only when asked for
        ("Лоэль", False, False, None),
        ("Айгерим", True, False, "Айгерим"),
        ("весь март", False, True, None),  # "марта" is the month here, not the name Марта
        ("да", True, False, None),
        ("хочу на контемп", False, True, None),
        ("сколько стоит", True, False, None),
        ("привет", False, False, None),
    ],
)
def test_find_name(text: str, expecting: bool, contact: bool, expected: str | None) -> None:
    ignore = frozenset({"март", "марта", "контемп"})
    assert find_name(text, expecting=expecting, contact=contact, ignore=ignore) == expected
