"""Writes through the real client against the emulator over HTTP: clients, bookings,
cancellations, every refusal as its typed error, and writes that are never retried blindly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import structlog.testing

from dancebot.adapters.crm.impulse.client import CLIENTS_MEMO, ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.domain.crm import LessonRef
from dancebot.domain.errors import (
    AlreadyBooked,
    CrmError,
    CrmServerError,
    CrmTimeout,
    LessonFull,
    LessonInPast,
    NotFound,
)

WED, NEXT_WED = date(2026, 3, 4), date(2026, 3, 11)


def reservations(state: EmulatorState) -> list[dict[str, Any]]:
    return list(state.snapshot()["reservation"])


def is_write(entity: str) -> Any:
    return lambda request: request.url.path.endswith(f"/{entity}/update")


async def test_create_and_find_a_client(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    created = await impulse_client.create_client(
        name="Ольга", last_name="Смирнова", phone="+79990001122"
    )

    assert (created.name, created.last_name, created.phone) == (
        "Ольга",
        "Смирнова",
        "+79990001122",
    )
    stored = [c for c in emulator_state.snapshot()["client"] if c["id"] == created.id]
    assert stored[0]["phone"] == "79990001122"
    assert await impulse_client.find_client("+79990001122") == created


async def test_book_list_and_cancel(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    lesson = LessonRef(schedule_id=100, date=NEXT_WED)

    booking = await impulse_client.create_booking(client_id=500, lesson=lesson)

    assert (booking.client_id, booking.schedule_id, booking.date, booking.cancelled) == (
        500,
        100,
        NEXT_WED,
        False,
    )
    assert emulator_state.free_places(100, NEXT_WED) == 11
    listed = await impulse_client.list_bookings(client_id=500, date_from=NEXT_WED)
    assert [b.id for b in listed] == [booking.id]

    await impulse_client.cancel_booking(booking.id)

    stored = [r for r in reservations(emulator_state) if r["id"] == booking.id]
    assert stored[0]["deleted"] is True
    assert await impulse_client.list_bookings(client_id=500, date_from=NEXT_WED) == []
    with pytest.raises(NotFound):
        await impulse_client.cancel_booking(booking.id)


@pytest.fixture
def full_lesson(emulator_state: EmulatorState) -> LessonRef:
    """A Thursday lesson with one place, taken by client 500."""
    group = emulator_state.update("group", {"name": "Heels", "style": 1, "placeCount": 1})
    rule = emulator_state.update(
        "schedule",
        {
            "group": group["id"],
            "hall": 1,
            "teacher": 1,
            "day": 4,
            "minutesBegin": 1140,
            "minutesEnd": 1200,
            "dateBegin": "2026-03-01",
        },
    )
    day = date(2026, 3, 5)
    emulator_state.update(
        "reservation", {"client": 500, "schedule": rule["id"], "date": day.isoformat()}
    )
    return LessonRef(schedule_id=rule["id"], date=day)


async def test_full_lesson_is_refused(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, full_lesson: LessonRef
) -> None:
    other = emulator_state.update("client", {"name": "Ольга", "phone": "79990001122"})

    with pytest.raises(LessonFull):
        await impulse_client.create_booking(client_id=other["id"], lesson=full_lesson)

    lessons = await impulse_client.get_schedule(
        date_from=full_lesson.date, date_to=full_lesson.date
    )
    assert [(lesson.capacity, lesson.free_places, lesson.is_full) for lesson in lessons] == [
        (1, 0, True)
    ]


@pytest.mark.parametrize(
    ("lesson", "error"),
    [
        pytest.param(LessonRef(schedule_id=100, date=WED), AlreadyBooked, id="already-booked"),
        pytest.param(
            LessonRef(schedule_id=100, date=date(2026, 2, 25)), LessonInPast, id="in-past"
        ),
        pytest.param(LessonRef(schedule_id=999, date=NEXT_WED), NotFound, id="unknown-rule"),
        pytest.param(LessonRef(schedule_id=100, date=date(2026, 3, 10)), NotFound, id="not-a-day"),
    ],
)
async def test_refusals_are_typed(
    impulse_client: ImpulseClient,
    emulator_state: EmulatorState,
    crm_wire: Any,
    lesson: LessonRef,
    error: type[CrmError],
) -> None:
    before = reservations(emulator_state)

    with pytest.raises(error):
        await impulse_client.create_booking(client_id=500, lesson=lesson)

    assert reservations(emulator_state) == before
    assert crm_wire.count("reservation/list") == 0  # a refusal is not "maybe applied"


async def test_cancel_unknown_booking_is_not_found(impulse_client: ImpulseClient) -> None:
    with pytest.raises(NotFound):
        await impulse_client.cancel_booking(123456)


async def test_a_failed_create_is_not_retried(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    emulator_state.set_fault("down")

    with pytest.raises(CrmServerError) as caught:
        await impulse_client.create_booking(
            client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED)
        )

    assert caught.value.status == 503
    assert crm_wire.count("reservation/update", "POST") == 1
    assert crm_wire.count("reservation/list") == 1  # the one look-up, not retried either


async def test_a_booking_whose_answer_was_lost_is_found_and_returned(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    crm_wire.lose = is_write("reservation")

    booking = await impulse_client.create_booking(
        client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED)
    )

    live = [r for r in reservations(emulator_state) if r["date"] == NEXT_WED.isoformat()]
    assert [(r["id"], r["client"], r["deleted"]) for r in live] == [(booking.id, 500, False)]
    assert crm_wire.count("reservation/update", "POST") == 1


async def test_a_lost_create_that_did_not_happen_raises_the_original_error(
    impulse_client: ImpulseClient,
    emulator_state: EmulatorState,
    crm_wire: Any,
    full_lesson: LessonRef,
) -> None:
    other = emulator_state.update("client", {"name": "Ольга", "phone": "79990001122"})
    crm_wire.lose = is_write("reservation")  # the CRM refuses (full), the client never hears

    with pytest.raises(CrmTimeout):
        await impulse_client.create_booking(client_id=other["id"], lesson=full_lesson)

    assert crm_wire.count("reservation/update", "POST") == 1
    assert crm_wire.count("reservation/list") == 1


async def test_a_slow_create_times_out_and_is_looked_up_once(
    make_client: Callable[..., ImpulseClient], emulator_state: EmulatorState, crm_wire: Any
) -> None:
    emulator_state.set_fault("slow", 1.0)
    client = make_client(timeout=0.2)

    with pytest.raises(CrmTimeout):
        await client.create_booking(client_id=500, lesson=LessonRef(schedule_id=100, date=NEXT_WED))

    assert crm_wire.count("reservation/update", "POST") == 1
    assert crm_wire.count("reservation/list") == 1


async def test_a_client_whose_answer_was_lost_is_found_by_phone(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    crm_wire.lose = is_write("client")

    created = await impulse_client.create_client(name="Ольга", phone="+79990001122")

    stored = [c for c in emulator_state.snapshot()["client"] if c["phone"] == "79990001122"]
    assert [c["id"] for c in stored] == [created.id]
    assert crm_wire.count("client/update", "POST") == 1


async def test_logs_name_calls_but_never_the_key_or_a_full_phone(
    impulse_client: ImpulseClient,
) -> None:
    with structlog.testing.capture_logs() as logs:
        await impulse_client.create_client(name="Ольга", phone="+79990001122")
        await impulse_client.find_client("+79990001122")

    calls = [entry for entry in logs if entry["event"] == "impulse_call"]
    assert [(c["entity"], c["action"], c["status"]) for c in calls] == [
        ("client", "update", 200),
        ("client", "list", 200),
    ]
    assert all(isinstance(c["latency_ms"], float) for c in calls)
    found = [entry for entry in logs if entry["event"] == "impulse_find_client"]
    assert found[0]["phone"] == "+7999****122"
    text = repr(logs)
    assert "79990001122" not in text
    assert "test-key" not in text
    assert "Basic" not in text


async def test_a_phone_looked_up_again_within_two_minutes_is_not_asked_again(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any, clock: Any
) -> None:
    """The summary's lookup serves the booking's (D80): one CRM read, then the created
    client is known without another; after ``CLIENTS_MEMO`` the CRM is asked again."""
    assert await impulse_client.find_client("+79990001122") is None
    assert await impulse_client.find_client("+79990001122") is None
    created = await impulse_client.create_client(name="Ольга", phone="+79990001122")
    assert await impulse_client.find_client("+79990001122") == created
    assert await impulse_client.find_client("+79990001122", name="ольга") == created
    assert await impulse_client.find_client("+79990001122", name="Пётр") is None
    assert crm_wire.count("client/list") == 1

    emulator_state.update("client", {"name": "Пётр", "phone": "79990001122"})  # by the admin
    clock.advance(CLIENTS_MEMO)

    peter = await impulse_client.find_client("+79990001122", name="Пётр")
    assert peter is not None and peter.name == "Пётр"
    assert crm_wire.count("client/list") == 2


async def test_a_lost_create_looks_the_phone_up_in_the_crm_whatever_was_remembered(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    assert await impulse_client.find_client("+79990001122") is None  # remembered: nobody
    crm_wire.lose = is_write("client")

    created = await impulse_client.create_client(name="Ольга", phone="+79990001122")

    stored = [c for c in emulator_state.snapshot()["client"] if c["phone"] == "79990001122"]
    assert [c["id"] for c in stored] == [created.id]
    assert crm_wire.count("client/list") == 2
    assert await impulse_client.find_client("+79990001122") == created
