"""Phones masked as contract §18 shows: ``+7999****567``."""

from __future__ import annotations

from datetime import date

import pytest

from dancebot.domain.privacy import (
    mask_phone,
    mask_phones_in_text,
    mask_phones_in_value,
)


@pytest.mark.parametrize(
    "phone",
    ["+79991234567", "89991234567", "+7 (999) 123-45-67", "8 999 123 45 67", "79991234567"],
)
def test_russian_phone_in_any_spelling_is_masked_the_same(phone: str) -> None:
    assert mask_phone(phone) == "+7999****567"


def test_masking_twice_changes_nothing() -> None:
    assert mask_phone(mask_phone("+79991234567")) == "+7999****567"


def test_short_number_is_hidden_entirely() -> None:
    assert mask_phone("12345") == "****"


def test_phones_inside_text_are_masked_and_the_rest_kept() -> None:
    text = "Анна, +7 999 123-45-67 или 8(912)000-11-22. Приду 14.03 в 19:00, группа 2025"

    assert mask_phones_in_text(text) == (
        "Анна, +7999****567 или +7912****122. Приду 14.03 в 19:00, группа 2025"
    )


def test_international_phone_in_text_is_masked() -> None:
    assert mask_phones_in_text("call +44 20 7946 0958") == "call +4420****958"


def test_values_under_phone_keys_and_phones_in_strings_are_masked() -> None:
    value = {
        "client_phone": "+79991234567",
        "note": "перезвонить 89991234567",
        "schedule_id": 42,
        "attendees": [{"name": "Оля", "phone": "+79990001122"}],
        "when": date(2025, 3, 14),
    }

    assert mask_phones_in_value(value) == {
        "client_phone": "+7999****567",
        "note": "перезвонить +7999****567",
        "schedule_id": 42,
        "attendees": [{"name": "Оля", "phone": "+7999****122"}],
        "when": date(2025, 3, 14),
    }
