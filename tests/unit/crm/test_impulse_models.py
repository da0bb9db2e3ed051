"""Wire records → domain models: Unix dates, nested or bare references, phones."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from dancebot.adapters.crm.impulse.models import (
    WireClient,
    WireReservation,
    date_to_unix,
    parse_one,
    phone_from_wire,
    phone_to_wire,
)
from dancebot.domain.errors import CrmBadResponse


def test_unix_dates_are_utc_midnights() -> None:
    assert date_to_unix(date(2026, 3, 4)) == 1772582400
    reservation = WireReservation.model_validate(
        {"id": 1, "client": {"id": 500, "name": "Мария"}, "schedule": 100, "date": 1772582400}
    )
    assert reservation.date == date(2026, 3, 4)
    booking = reservation.to_domain()
    assert (booking.client_id, booking.schedule_id, booking.cancelled) == (500, 100, False)


def test_a_boolean_is_not_a_date() -> None:
    with pytest.raises(ValidationError):
        WireReservation.model_validate({"id": 1, "client": 1, "schedule": 1, "date": True})


@pytest.mark.parametrize("stamp", [1e20, 0.1e18, -1e20, float("nan"), float("inf")])
def test_a_time_no_calendar_has_is_a_bad_record_not_a_crash(stamp: float) -> None:
    """Found by the 10,000-answer fuzz run: ``{"date": 1e20}`` raised OverflowError and
    ``{"date": 0.1e18}`` OSError out of the client instead of a ``CrmBadResponse``."""
    with pytest.raises(CrmBadResponse):
        parse_one(WireReservation, {"id": 1, "client": 1, "schedule": 1, "date": stamp})


@pytest.mark.parametrize(
    ("wire", "e164"),
    [
        ("79991234567", "+79991234567"),
        (79991234567, "+79991234567"),
        ("89991234567", "+79991234567"),
        ("", None),
        (None, None),
    ],
)
def test_client_phone_becomes_e164(wire: object, e164: str | None) -> None:
    client = WireClient.model_validate({"id": 1, "name": "Мария", "phone": wire}).to_domain()
    assert client.phone == e164


def test_phone_goes_out_as_digits() -> None:
    assert phone_to_wire("+7 999 123-45-67") == "79991234567"
    assert phone_from_wire("+1 (202) 555-0100") == "+12025550100"
