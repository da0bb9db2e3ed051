"""What the studio's CRM knows, in the studio's language (not in any vendor's field names).

A lesson is one occurrence of a weekly schedule rule on a date: it is identified by
``(schedule_id, date)``. Every CRM adapter turns its own records into these models.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Style(_Frozen):
    id: int
    name: str


class Teacher(_Frozen):
    id: int
    name: str
    last_name: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.last_name}" if self.last_name else self.name


class Hall(_Frozen):
    id: int
    name: str


class Group(_Frozen):
    """A group of students: a style, a level, a teacher and a number of places."""

    id: int
    name: str
    style: Style | None = None
    teacher: Teacher | None = None
    capacity: int


class LessonRef(_Frozen):
    """What identifies a bookable lesson: the weekly rule and the date it falls on."""

    schedule_id: int
    date: date


class Lesson(_Frozen):
    """One concrete lesson: a schedule rule expanded onto a date in the studio's time zone."""

    schedule_id: int
    date: date
    start: datetime  # timezone-aware, studio time
    end: datetime
    group_id: int
    group_name: str
    style_id: int | None = None
    style_name: str | None = None
    teacher_name: str | None = None
    hall_name: str | None = None
    capacity: int
    free_places: int

    @property
    def ref(self) -> LessonRef:
        return LessonRef(schedule_id=self.schedule_id, date=self.date)

    @property
    def is_full(self) -> bool:
        return self.free_places <= 0


class CrmClient(_Frozen):
    """A studio client as the CRM knows them. ``phone`` is E.164 (``+79991234567``)."""

    id: int
    name: str
    last_name: str | None = None
    phone: str | None = None


class Booking(_Frozen):
    """A client's reservation of one lesson."""

    id: int
    client_id: int
    schedule_id: int
    date: date
    cancelled: bool = False
    lesson: Lesson | None = None

    @property
    def ref(self) -> LessonRef:
        return LessonRef(schedule_id=self.schedule_id, date=self.date)
