"""The CRM's rules for a reservation, checked in the order the real CRM would refuse:
the lesson must exist → it must be in the future → the client must not hold it already →
it must have a free place (docs/impulse_api.md, "Refusals")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.schema import rule_covers
from dancebot.adapters.crm.impulse.emulator.seed import Records

NOT_FOUND = f.CODE_NOT_FOUND
PLACE_LIMIT = f.CODE_PLACE_LIMIT
ALREADY_BOOKED = f.CODE_ALREADY_BOOKED
LESSON_IN_PAST = f.CODE_LESSON_IN_PAST
VALIDATION = f.CODE_VALIDATION

HTTP_STATUS: dict[str, int] = {
    NOT_FOUND: 404,
    PLACE_LIMIT: 409,
    ALREADY_BOOKED: 409,
    LESSON_IN_PAST: 422,
    VALIDATION: 400,
}


class EmulatorError(Exception):
    """A business refusal: answered as HTTP ``status`` with ``{"error": {code, message}}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        return {f.ERROR: {f.ERROR_CODE: self.code, f.ERROR_MESSAGE: self.message}}


def lesson_start(rule: Mapping[str, Any], day: date, zone: ZoneInfo) -> datetime:
    """When the lesson of ``rule`` on ``day`` begins (aware, studio time)."""
    midnight = datetime.combine(day, time(), tzinfo=zone)
    return midnight + timedelta(minutes=rule[f.SCHEDULE_MINUTES_BEGIN])


def taken_places(
    records: Records, schedule_id: int, day: date, *, exclude: int | None = None
) -> list[Mapping[str, Any]]:
    """The non-deleted reservations of the lesson ``(schedule_id, day)``, but ``exclude``."""
    return [
        reservation
        for reservation in records[f.RESERVATION].values()
        if reservation[f.RESERVATION_SCHEDULE] == schedule_id
        and reservation[f.RESERVATION_DATE] == day
        and not reservation[f.RESERVATION_DELETED]
        and reservation[f.ID] != exclude
    ]


def check_reservation(
    records: Records,
    reservation: Mapping[str, Any],
    *,
    now: datetime,
    zone: ZoneInfo,
    exclude: int | None = None,
) -> None:
    """Raise ``EmulatorError`` when ``reservation`` (stored form) may not be made now.
    ``exclude`` is the id of the reservation being changed, which does not count."""
    client_id = reservation[f.RESERVATION_CLIENT]
    schedule_id = reservation[f.RESERVATION_SCHEDULE]
    day: date = reservation[f.RESERVATION_DATE]
    if client_id not in records[f.CLIENT]:
        raise EmulatorError(NOT_FOUND, f"no client with id {client_id}")
    rule = _bookable_rule(records, schedule_id, day)
    if lesson_start(rule, day, zone) <= now:
        raise EmulatorError(LESSON_IN_PAST, f"the lesson {schedule_id} on {day} has started")
    taken = taken_places(records, schedule_id, day, exclude=exclude)
    if any(item[f.RESERVATION_CLIENT] == client_id for item in taken):
        raise EmulatorError(
            ALREADY_BOOKED, f"client {client_id} already holds lesson {schedule_id} on {day}"
        )
    group = records[f.GROUP][rule[f.SCHEDULE_GROUP]]
    if len(taken) >= group[f.GROUP_PLACES]:
        raise EmulatorError(PLACE_LIMIT, f"no free places on lesson {schedule_id} on {day}")


def _bookable_rule(records: Records, schedule_id: int, day: date) -> Mapping[str, Any]:
    rule = records[f.SCHEDULE].get(schedule_id)
    if rule is None or rule[f.DELETED] or rule[f.ARCHIVED]:
        raise EmulatorError(NOT_FOUND, f"no schedule with id {schedule_id}")
    group = records[f.GROUP].get(rule[f.SCHEDULE_GROUP])
    if group is None or group[f.DELETED] or group[f.ARCHIVED]:
        raise EmulatorError(NOT_FOUND, f"the group of schedule {schedule_id} is closed")
    if not rule_covers(rule, day):
        raise EmulatorError(NOT_FOUND, f"schedule {schedule_id} has no lesson on {day}")
    return rule
