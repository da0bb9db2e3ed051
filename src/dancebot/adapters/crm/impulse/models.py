"""Impulse records as they come over the wire, and their translation to domain models.

References come back nested (``{"id": …, "name": …}``); a bare id is accepted too. Dates are
Unix seconds at UTC midnight and become ``date``. Unknown fields are ignored: Impulse adds
fields freely and we read only what we use (field names from ``fields.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from dancebot.adapters.crm.impulse import fields as f
from dancebot.domain.crm import Booking, CrmClient, Group, Lesson, Style, Teacher
from dancebot.domain.errors import CrmBadResponse
from dancebot.nlu.phone import normalize_phone


def _unix_to_date(value: object) -> object:
    # bool is an int in Python: let pydantic reject it instead of reading 1970-01-01
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).date()
        except (OverflowError, OSError, ValueError) as exc:  # 1e20, NaN: not a date
            raise ValueError(f"not a Unix date: {value!r}") from exc
    return value


def _id_to_ref(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return {f.ID: value}
    return value


def _to_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


UnixDate = Annotated[date, BeforeValidator(_unix_to_date)]
_W = TypeVar("_W", bound="_Wire")


def date_to_unix(day: date) -> int:
    """``2026-03-04`` → ``1772582400`` (UTC midnight of the calendar date)."""
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())


def phone_to_wire(e164: str) -> str:
    """``+79991234567`` → ``79991234567`` (assumption: Impulse stores digits only)."""
    return re.sub(r"\D", "", e164)


def phone_from_wire(raw: str | None) -> str | None:
    """Digits from Impulse → E.164; a number that does not parse keeps its digits after +."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return None
    return normalize_phone("+" + digits) or normalize_phone(digits) or "+" + digits


def parse_records(model: type[_W], records: Iterable[Mapping[str, Any]]) -> list[_W]:
    """Wire records → models. Raises ``CrmBadResponse`` when one does not fit: a bad record
    is a bad answer, never partial data."""
    try:
        return [model.model_validate(record) for record in records]
    except ValidationError as exc:
        raise CrmBadResponse(
            f"Impulse {model.__name__} record does not fit: {exc.error_count()} errors"
        ) from exc


def parse_one(model: type[_W], record: Mapping[str, Any]) -> _W:
    return parse_records(model, [record])[0]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WireRef(_Wire):
    id: int


class WireStyle(_Wire):
    id: int
    name: str = ""

    def to_domain(self) -> Style:
        return Style(id=self.id, name=self.name)


class WireTeacher(_Wire):
    id: int
    name: str = ""
    last_name: str | None = Field(default=None, alias=f.LAST_NAME)

    def to_domain(self) -> Teacher:
        return Teacher(id=self.id, name=self.name, last_name=self.last_name or None)


class WireHall(_Wire):
    id: int
    name: str = ""


class WireGroup(_Wire):
    id: int
    name: str = ""
    style: Annotated[WireStyle | None, BeforeValidator(_id_to_ref)] = Field(
        default=None, alias=f.GROUP_STYLE
    )
    teacher1: Annotated[WireTeacher | None, BeforeValidator(_id_to_ref)] = Field(
        default=None, alias=f.GROUP_TEACHER
    )
    place_count: int = Field(default=0, alias=f.GROUP_PLACES)
    deleted: bool = Field(default=False, alias=f.DELETED)
    archived: bool = Field(default=False, alias=f.ARCHIVED)

    @property
    def active(self) -> bool:
        return not (self.deleted or self.archived)

    def to_domain(self) -> Group:
        return Group(
            id=self.id,
            name=self.name,
            style=self.style.to_domain() if self.style else None,
            teacher=self.teacher1.to_domain() if self.teacher1 else None,
            capacity=max(self.place_count, 0),
        )


class WireSchedule(_Wire):
    """A weekly rule: one lesson per ``day`` (1 = Monday) between ``date_begin`` and
    ``date_end`` (None = open-ended), ``minutes_*`` from midnight in studio time."""

    id: int
    group: Annotated[WireGroup, BeforeValidator(_id_to_ref)] = Field(alias=f.SCHEDULE_GROUP)
    hall: Annotated[WireHall | None, BeforeValidator(_id_to_ref)] = Field(
        default=None, alias=f.SCHEDULE_HALL
    )
    teacher: Annotated[WireTeacher | None, BeforeValidator(_id_to_ref)] = Field(
        default=None, alias=f.SCHEDULE_TEACHER
    )
    day: int = Field(alias=f.SCHEDULE_DAY, ge=1, le=7)
    minutes_begin: int = Field(alias=f.SCHEDULE_MINUTES_BEGIN, ge=0)
    minutes_end: int = Field(alias=f.SCHEDULE_MINUTES_END, ge=0)
    date_begin: UnixDate | None = Field(default=None, alias=f.SCHEDULE_DATE_BEGIN)
    date_end: UnixDate | None = Field(default=None, alias=f.SCHEDULE_DATE_END)
    deleted: bool = Field(default=False, alias=f.DELETED)
    archived: bool = Field(default=False, alias=f.ARCHIVED)

    @property
    def active(self) -> bool:
        return not (self.deleted or self.archived)

    def covers(self, day: date) -> bool:
        """True when the rule has a lesson on this studio-local calendar date."""
        if day.isoweekday() != self.day:
            return False
        if self.date_begin is not None and day < self.date_begin:
            return False
        return self.date_end is None or day <= self.date_end


class WireClient(_Wire):
    id: int
    name: str = ""
    last_name: str | None = Field(default=None, alias=f.LAST_NAME)
    phone: Annotated[str | None, BeforeValidator(_to_text)] = Field(
        default=None, alias=f.CLIENT_PHONE
    )

    def to_domain(self) -> CrmClient:
        return CrmClient(
            id=self.id,
            name=self.name,
            last_name=self.last_name or None,
            phone=phone_from_wire(self.phone),
        )


class WireReservation(_Wire):
    id: int
    client: Annotated[WireRef, BeforeValidator(_id_to_ref)] = Field(alias=f.RESERVATION_CLIENT)
    schedule: Annotated[WireRef, BeforeValidator(_id_to_ref)] = Field(alias=f.RESERVATION_SCHEDULE)
    date: UnixDate = Field(alias=f.RESERVATION_DATE)
    deleted: bool = Field(default=False, alias=f.RESERVATION_DELETED)

    def to_domain(self, lesson: Lesson | None = None) -> Booking:
        return Booking(
            id=self.id,
            client_id=self.client.id,
            schedule_id=self.schedule.id,
            date=self.date,
            cancelled=self.deleted,
            lesson=lesson,
        )
