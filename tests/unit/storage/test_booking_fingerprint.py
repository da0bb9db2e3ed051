"""The booking fingerprint (DESIGN §7): stable, and one per client, lesson and date."""

from __future__ import annotations

import hashlib
from datetime import date

from dancebot.adapters.storage.idempotency import booking_fingerprint

PHONE = "+79991234567"
FRIDAY = date(2025, 3, 14)


def test_fingerprint_is_the_documented_sha256() -> None:
    expected = hashlib.sha256(b"+79991234567|42|2025-03-14").hexdigest()

    assert booking_fingerprint(PHONE, 42, FRIDAY) == expected


def test_fingerprint_is_stable_and_ignores_surrounding_whitespace() -> None:
    assert booking_fingerprint(PHONE, 42, FRIDAY) == booking_fingerprint(f" {PHONE}\n", 42, FRIDAY)


def test_same_weekly_class_on_two_dates_gives_two_fingerprints() -> None:
    assert booking_fingerprint(PHONE, 42, FRIDAY) != booking_fingerprint(
        PHONE, 42, date(2025, 3, 21)
    )


def test_other_client_or_other_class_gives_another_fingerprint() -> None:
    base = booking_fingerprint(PHONE, 42, FRIDAY)

    assert booking_fingerprint("+79991234568", 42, FRIDAY) != base
    assert booking_fingerprint(PHONE, 43, FRIDAY) != base


def test_parts_cannot_run_into_each_other() -> None:
    assert booking_fingerprint("+7999123456", 71, FRIDAY) != booking_fingerprint(
        "+79991234567", 1, FRIDAY
    )
