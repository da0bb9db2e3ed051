"""Clients and reservations over HTTP: creation, every refusal code and its order, capacity,
duplicates, lessons in the past under a set clock, and soft-deleted cancellations."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.integration.emulator.emulator_support import REFERENCE_NOW, Crm, unix

from dancebot.adapters.crm.impulse.emulator import EmulatorState


def refusal(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()["error"]["code"]


async def test_create_client_normalises_phone(crm: Crm) -> None:
    response = await crm.update(
        "client", {"name": "Мария", "lastName": "Иванова", "phone": "+7 (999) 123-45-67"}
    )

    created = response.json()
    assert response.status_code == 200
    assert created["id"] == 520  # above the seed's highest client id
    assert created["phone"] == "79991234567"
    assert created["created"] == int(REFERENCE_NOW.timestamp())
    found = await crm.list("client", {"columns": {"phone": "79991234567"}})
    assert [item["id"] for item in found["items"]] == [520]


@pytest.mark.parametrize(
    "body", [{"name": "Без телефона"}, {"phone": "79990000000"}, {"name": "А", "phone": "нет"}]
)
async def test_client_needs_name_and_phone(crm: Crm, body: dict[str, str]) -> None:
    assert refusal(await crm.update("client", body)) == (400, "validation")


async def test_update_with_id_modifies(crm: Crm) -> None:
    response = await crm.update("client", {"id": 503, "lastName": "Орлов-Петров"})
    unknown = await crm.update("client", {"id": 4040, "name": "X"})

    assert response.json()["lastName"] == "Орлов-Петров"
    assert response.json()["phone"] == "79990010504"  # untouched fields stay
    assert (await crm.load("client", 503)).json()["lastName"] == "Орлов-Петров"
    assert refusal(unknown) == (404, "not_found")


async def test_booking_a_free_lesson(crm: Crm, state: EmulatorState) -> None:
    before = await crm.list(
        "reservation", {"columns": {"schedule": 100, "date": unix("2026-03-04")}}
    )

    response = await crm.book(client=510, schedule=100, day="2026-03-04")

    booked = response.json()
    assert response.status_code == 200
    assert booked["id"] == 9104
    assert booked["client"]["id"] == 510 and booked["schedule"]["id"] == 100
    assert (booked["date"], booked["deleted"]) == (unix("2026-03-04"), False)
    after = await crm.list(
        "reservation", {"columns": {"schedule": 100, "date": unix("2026-03-04")}}
    )
    assert after["total"] == before["total"] + 1
    assert state.snapshot()["reservation"][-1] == {
        "id": 9104,
        "client": 510,
        "schedule": 100,
        "date": "2026-03-04",
        "deleted": False,
        "created": int(REFERENCE_NOW.timestamp()),
    }


async def test_booking_accepts_an_iso_date_and_nested_references(crm: Crm) -> None:
    response = await crm.update(
        "reservation", {"client": {"id": 511}, "schedule": {"id": 101}, "date": "2026-03-09"}
    )

    assert response.status_code == 200
    assert response.json()["date"] == unix("2026-03-09")


@pytest.mark.parametrize(
    "body",
    [
        {"schedule": 100, "date": unix("2026-03-04")},
        {"client": 510, "date": unix("2026-03-04")},
        {"client": 510, "schedule": 100},
        {"client": 510, "schedule": 100, "date": unix("2026-03-04") + 3600},
        {"client": "someone", "schedule": 100, "date": unix("2026-03-04")},
        {"client": 510, "schedule": 100, "date": 10**20},
    ],
    ids=[
        "no-client",
        "no-schedule",
        "no-date",
        "date-not-midnight",
        "client-not-id",
        "date-beyond-any-calendar",
    ],
)
async def test_malformed_reservation_is_validation(crm: Crm, body: dict[str, object]) -> None:
    assert refusal(await crm.update("reservation", body)) == (400, "validation")


@pytest.mark.parametrize(
    ("client", "schedule", "day"),
    [
        (4040, 100, "2026-03-04"),  # unknown client
        (510, 999, "2026-03-04"),  # unknown rule
        (510, 100, "2026-03-05"),  # Thursday: the rule is on Wednesdays
        (510, 171, "2026-03-07"),  # before the rule's dateBegin (2026-04-04)
        (510, 152, "2026-06-07"),  # after the rule's dateEnd (2026-05-31)
    ],
)
async def test_lesson_that_does_not_exist_is_not_found(
    crm: Crm, client: int, schedule: int, day: str
) -> None:
    assert refusal(await crm.book(client, schedule, day)) == (404, "not_found")


async def test_deleted_or_archived_rule_is_not_found(crm: Crm) -> None:
    assert (await crm.delete("schedule", 101)).json() == {"id": 101, "deleted": True}
    archived = await crm.update("schedule", {"id": 102, "archived": True})

    assert archived.json()["archived"] is True
    assert refusal(await crm.book(510, 101, "2026-03-09")) == (404, "not_found")
    assert refusal(await crm.book(510, 102, "2026-03-06")) == (404, "not_found")


async def test_lesson_in_past_under_a_set_clock(crm: Crm, http: httpx.AsyncClient) -> None:
    # Schedule 100 starts at 19:00 Vladivostok (UTC+10) = 09:00 UTC.
    await http.post("/_emulator/clock", json={"now": "2026-03-04T08:59:00Z"})
    still_open = await crm.book(510, 100, "2026-03-04")
    answer = await http.post("/_emulator/clock", json={"now": "2026-03-04T19:00:00+10:00"})
    at_start = await crm.book(511, 100, "2026-03-04")
    await http.post("/_emulator/clock", json={"now": "2026-03-04T20:00:00"})  # naive = studio
    during = await crm.book(512, 100, "2026-03-04")

    assert still_open.status_code == 200
    assert answer.json() == {"now": "2026-03-04T19:00:00+10:00", "fixed": True}
    assert refusal(at_start) == (422, "lesson_in_past")
    assert refusal(during) == (422, "lesson_in_past")


async def test_clock_back_to_real_time(http: httpx.AsyncClient, state: EmulatorState) -> None:
    answer = (await http.post("/_emulator/clock", json={"now": None})).json()

    assert answer["fixed"] is False
    assert abs((state.now() - datetime.now(UTC)).total_seconds()) < 5
    bad = await http.post("/_emulator/clock", json={"now": "yesterday"})
    assert refusal(bad) == (400, "validation")


async def test_already_booked(crm: Crm) -> None:
    # Client 500 holds reservation 9000 for schedule 100 on 2026-03-04.
    assert refusal(await crm.book(500, 100, "2026-03-04")) == (409, "already_booked")


async def test_full_lesson_is_place_limit(crm: Crm) -> None:
    # The mini-group (3 places) is full on 2026-03-04 (clients 510..512); client 500 is not on it.
    assert refusal(await crm.book(500, 131, "2026-03-04")) == (409, "place_limit")


async def test_capacity_counts_only_active_reservations(crm: Crm, state: EmulatorState) -> None:
    # 100 on 2026-03-11: 11 of 12 places taken by clients 504..514.
    last_place = await crm.book(500, 100, "2026-03-11")
    over = await crm.book(501, 100, "2026-03-11")
    await crm.delete("reservation", last_place.json()["id"])
    freed = await crm.book(501, 100, "2026-03-11")

    assert last_place.status_code == 200
    assert refusal(over) == (409, "place_limit")
    assert freed.status_code == 200
    assert state.free_places(100, datetime(2026, 3, 11).date()) == 0


async def test_refusal_order(crm: Crm, state: EmulatorState) -> None:
    state.set_now(datetime(2026, 3, 20, tzinfo=UTC))

    # unknown client before "in the past"; "in the past" before "already booked" / "full"
    assert refusal(await crm.book(4040, 131, "2026-03-04")) == (404, "not_found")
    assert refusal(await crm.book(510, 131, "2026-03-04")) == (422, "lesson_in_past")
    assert refusal(await crm.book(500, 100, "2026-03-04")) == (422, "lesson_in_past")
    state.set_now(REFERENCE_NOW)
    # "already booked" before "full": a holder of a place on a full mini-group lesson
    full_lesson = await crm.list("reservation", {"columns": {"schedule": 131}, "limit": 1})
    holder = full_lesson["items"][0]
    day = datetime.fromtimestamp(holder["date"], tz=UTC).date().isoformat()
    assert refusal(await crm.book(holder["client"]["id"], 131, day)) == (409, "already_booked")


async def test_cancel_is_a_soft_delete(crm: Crm, state: EmulatorState) -> None:
    filters = {"schedule": 100, "date": unix("2026-03-04")}
    answer = await crm.delete("reservation", 9000)

    default = await crm.list("reservation", {"columns": filters})
    only_deleted = await crm.list("reservation", {"columns": {**filters, "deleted": True}})
    both = await crm.list("reservation", {"columns": {**filters, "deleted": [True, False]}})

    assert answer.status_code == 200 and answer.json() == {"id": 9000, "deleted": True}
    assert 9000 not in [item["id"] for item in default["items"]]
    assert sorted(item["id"] for item in only_deleted["items"]) == [9000, 9001]
    assert both["total"] == default["total"] + 2
    assert (await crm.load("reservation", 9000)).json()["deleted"] is True
    assert {"id": 9000, "deleted": True}.items() <= state.snapshot()["reservation"][0].items()


async def test_cancel_twice_or_unknown_is_not_found(crm: Crm) -> None:
    assert refusal(await crm.delete("reservation", 9001)) == (404, "not_found")  # seeded cancelled
    assert refusal(await crm.delete("reservation", 4040)) == (404, "not_found")
    missing_id = await crm.call("reservation", "delete", {})
    assert refusal(missing_id) == (400, "validation")


async def test_rebooking_after_cancel(crm: Crm) -> None:
    # Client 501's reservation 9001 on 100/2026-03-04 was cancelled: booking again is fine.
    response = await crm.book(501, 100, "2026-03-04")

    assert response.status_code == 200
    assert response.json()["client"]["id"] == 501


async def test_hard_delete_refused_while_referenced(crm: Crm) -> None:
    in_use = await crm.delete("hall", 2)
    new_hall = (await crm.update("hall", {"name": "Зал на крыше"})).json()
    removed = await crm.delete("hall", new_hall["id"])

    assert refusal(in_use) == (400, "validation")
    assert removed.json() == {"id": new_hall["id"], "deleted": True}
    assert refusal(await crm.load("hall", new_hall["id"])) == (404, "not_found")
