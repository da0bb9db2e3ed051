"""Reads through the real client against the emulator over HTTP: schedule with free places,
groups, clients, a client's bookings, paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState

TZ = ZoneInfo("Asia/Vladivostok")
WED, NEXT_WED = date(2026, 3, 4), date(2026, 3, 11)
WEEK = {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 15)}


def add_client(state: EmulatorState, phone: str) -> int:
    return int(state.update("client", {"name": "Ольга", "phone": phone})["id"])


def book(state: EmulatorState, client_id: int, day: date, schedule_id: int = 100) -> int:
    record = state.update(
        "reservation", {"client": client_id, "schedule": schedule_id, "date": day.isoformat()}
    )
    return int(record["id"])


async def test_schedule_gives_lessons_with_free_places(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    lessons = await impulse_client.get_schedule(**WEEK)

    assert [(lesson.schedule_id, lesson.date, lesson.free_places) for lesson in lessons] == [
        (100, WED, 11),
        (100, NEXT_WED, 12),
    ]
    assert lessons[0].free_places == emulator_state.free_places(100, WED)
    first = lessons[0]
    assert first.start == datetime(2026, 3, 4, 19, 0, tzinfo=TZ)
    assert first.end == datetime(2026, 3, 4, 20, 30, tzinfo=TZ)
    assert (first.group_id, first.group_name, first.capacity) == (
        10,
        "Contemporary, начинающие",
        12,
    )
    assert (first.style_id, first.style_name) == (1, "Contemporary")
    assert (first.teacher_name, first.hall_name) == ("Анна Петрова", "Большой зал")


@pytest.mark.parametrize(
    ("style_id", "group_id", "count"),
    [(1, None, 2), (2, None, 0), (None, 10, 2), (None, 99, 0), (1, 10, 2)],
)
async def test_schedule_filters_by_style_and_group(
    impulse_client: ImpulseClient, style_id: int | None, group_id: int | None, count: int
) -> None:
    lessons = await impulse_client.get_schedule(**WEEK, style_id=style_id, group_id=group_id)
    assert len(lessons) == count


async def test_schedule_leaves_out_deleted_rules_and_cancelled_reservations(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    extra = emulator_state.update(
        "schedule",
        {
            "group": 10,
            "hall": 1,
            "day": 5,
            "minutesBegin": 600,
            "minutesEnd": 660,
            "dateBegin": "2026-03-01",
        },
    )
    assert len(await impulse_client.get_schedule(**WEEK)) == 4
    emulator_state.delete("schedule", extra["id"])
    emulator_state.delete("reservation", 9000)

    lessons = await impulse_client.get_schedule(**WEEK)

    assert [(lesson.schedule_id, lesson.free_places) for lesson in lessons] == [
        (100, 12),
        (100, 12),
    ]


async def test_groups(impulse_client: ImpulseClient, emulator_state: EmulatorState) -> None:
    emulator_state.update("group", {"name": "Архив", "placeCount": 5, "archived": True})

    groups = await impulse_client.get_groups()

    assert [(group.id, group.name, group.capacity) for group in groups] == [
        (10, "Contemporary, начинающие", 12)
    ]
    assert groups[0].style is not None and groups[0].style.name == "Contemporary"
    assert groups[0].teacher is not None and groups[0].teacher.full_name == "Анна Петрова"


async def test_find_client_by_e164_phone(impulse_client: ImpulseClient) -> None:
    found = await impulse_client.find_client("+79991234567")

    assert found is not None
    assert (found.id, found.name, found.last_name, found.phone) == (
        500,
        "Мария",
        "Иванова",
        "+79991234567",
    )
    assert await impulse_client.find_client("+79990000000") is None


async def test_list_bookings_fills_in_lessons(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    other = add_client(emulator_state, "79990000001")
    book(emulator_state, other, WED)
    later = book(emulator_state, 500, NEXT_WED)
    cancelled = book(emulator_state, 500, date(2026, 3, 18))
    emulator_state.delete("reservation", cancelled)

    bookings = await impulse_client.list_bookings(client_id=500)

    assert [(b.id, b.schedule_id, b.date, b.cancelled) for b in bookings] == [
        (9000, 100, WED, False),
        (later, 100, NEXT_WED, False),
    ]
    lessons = [b.lesson for b in bookings]
    assert all(lesson is not None for lesson in lessons)
    assert [(lesson.start, lesson.free_places) for lesson in lessons if lesson] == [
        (datetime(2026, 3, 4, 19, 0, tzinfo=TZ), 10),
        (datetime(2026, 3, 11, 19, 0, tzinfo=TZ), 11),
    ]
    from_next_week = await impulse_client.list_bookings(client_id=500, date_from=date(2026, 3, 5))
    assert [b.id for b in from_next_week] == [later]
    assert await impulse_client.list_bookings(client_id=other, date_from=NEXT_WED) == []


async def test_list_pages_are_all_read(
    make_client: Callable[..., ImpulseClient], emulator_state: EmulatorState, crm_wire: Any
) -> None:
    for index in range(4):
        book(emulator_state, add_client(emulator_state, f"7999000000{index}"), NEXT_WED)
    client = make_client(page_size=2)

    lessons = await client.get_schedule(**WEEK)

    assert [lesson.free_places for lesson in lessons] == [11, 8]
    assert crm_wire.count("reservation/list") == 3  # 5 live reservations, 2 a page


async def test_health_check(impulse_client: ImpulseClient) -> None:
    assert await impulse_client.health_check() is True


async def test_a_booking_whose_rule_was_deleted_has_no_lesson(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    rule = emulator_state.update(
        "schedule",
        {
            "group": 10,
            "hall": 1,
            "day": 3,
            "minutesBegin": 600,
            "minutesEnd": 660,
            "dateBegin": "2026-03-01",
        },
    )
    morning = book(emulator_state, 500, WED, schedule_id=rule["id"])
    emulator_state.delete("schedule", rule["id"])

    bookings = await impulse_client.list_bookings(client_id=500)

    assert [(b.id, b.lesson is None) for b in bookings] == [(9000, False), (morning, True)]
