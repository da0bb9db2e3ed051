from __future__ import annotations

from typing import Any

from dancebot.evaluation.final import Totals, check_final
from dancebot.evaluation.model import FinalExpectation

CRM: dict[str, Any] = {
    "timezone": "Asia/Vladivostok",
    "style": [{"id": 1, "name": "Contemporary"}, {"id": 2, "name": "Hip-Hop"}],
    "group": [
        {"id": 10, "name": "Contemporary, начинающие", "style": 1},
        {"id": 20, "name": "Hip-Hop, начинающие", "style": 2},
    ],
    "schedule": [
        {"id": 100, "group": 10, "minutesBegin": 1140, "minutesEnd": 1230},
        {"id": 121, "group": 20, "minutesBegin": 1140, "minutesEnd": 1200},
    ],
    "client": [
        {"id": 500, "phone": "79990010501"},
        {"id": 600, "phone": "79991234567"},
    ],
    "reservation": [
        {"id": 9000, "client": 500, "schedule": 100, "date": "2026-03-04", "deleted": False},
        {"id": 9100, "client": 600, "schedule": 100, "date": "2026-03-04", "deleted": False},
        {"id": 9101, "client": 600, "schedule": 121, "date": "2026-03-04", "deleted": True},
    ],
}
SEED_IDS = {9000}
TOTALS = Totals(admin_messages=1, fallback_queue=0, user_messages_to_booking=3)


def _failed(final: dict[str, Any], totals: Totals = TOTALS) -> list[str]:
    expectation = FinalExpectation.model_validate(final)
    return [f.check for f in check_final(expectation, crm=CRM, seed_ids=SEED_IDS, totals=totals)]


def _one(**item: Any) -> dict[str, Any]:
    return {"crm": {"reservations": [item]}}


def test_a_reservation_matches_on_phone_group_start_and_status() -> None:
    item = _one(
        client_phone="8 (999) 123-45-67",
        group="Contemporary",
        start="2026-03-04T19:00:00+10:00",
        status="active",
    )
    assert _failed(item) == []
    # the same instant in another offset, the group's own name in another case
    assert (
        _failed(_one(group="contemporary, НАЧИНАЮЩИЕ", start="2026-03-04T09:00:00Z", count=2)) == []
    )


def test_each_key_can_make_an_item_fail() -> None:
    assert _failed(_one(client_phone="+79990000000")) == ["final.crm.reservations[1]"]
    assert _failed(_one(client_phone="+79991234567", group="Hip-Hop")) == [
        "final.crm.reservations[1]"
    ]
    assert _failed(_one(group="начинающие")) == ["final.crm.reservations[1]"]  # no substrings
    assert _failed(_one(start="2026-03-04T19:00:00+03:00")) == ["final.crm.reservations[1]"]


def test_cancelled_means_deleted_and_count_is_exact() -> None:
    assert _failed(_one(client_phone="+79991234567", group="Hip-Hop", status="cancelled")) == []
    assert _failed(_one(client_phone="+79991234567", count=0, status="cancelled")) == [
        "final.crm.reservations[1]"
    ]
    assert _failed(_one(group="Contemporary")) == ["final.crm.reservations[1]"]  # 2, not 1


def test_a_failed_item_shows_the_clients_reservations() -> None:
    expectation = FinalExpectation.model_validate(_one(client_phone="+79991234567", count=3))
    [failure] = check_final(expectation, crm=CRM, seed_ids=SEED_IDS, totals=TOTALS)
    assert "3 ×" in failure.expected and "client_phone=+79991234567" in failure.expected
    assert failure.actual.startswith("1 found") and "#9100" in failure.actual
    assert "#9000" not in failure.actual


def test_reservations_total_counts_active_ones_created_during_the_scenario() -> None:
    assert _failed({"crm": {"reservations_total": 1}}) == []
    assert _failed({"crm": {"reservations_total": 0}}) == ["final.crm.reservations_total"]


def test_totals() -> None:
    assert _failed({"fallback_queue": 0, "admin_messages_min": 1, "max_user_steps": 3}) == []
    assert _failed({"fallback_queue": 1}) == ["final.fallback_queue"]
    assert _failed({"admin_messages_min": 2}) == ["final.admin_messages_min"]
    assert _failed({"max_user_steps": 2}) == ["final.max_user_steps"]
    no_booking = Totals(admin_messages=0, fallback_queue=0, user_messages_to_booking=None)
    assert _failed({"max_user_steps": 10}, no_booking) == ["final.max_user_steps"]
