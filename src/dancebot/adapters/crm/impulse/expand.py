"""Weekly schedule rules → concrete lessons (pure: no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dancebot.adapters.crm.impulse.models import WireSchedule
from dancebot.domain.crm import Lesson


def expand_rules(
    rules: Iterable[WireSchedule],
    *,
    date_from: date,
    date_to: date,
    tz: ZoneInfo,
    taken: Mapping[tuple[int, date], int],
) -> list[Lesson]:
    """Every lesson the rules give on the studio-local dates ``date_from..date_to`` inclusive,
    sorted by start. ``taken`` counts the live reservations per ``(schedule id, date)``;
    free places are the group's capacity minus that, never below 0.

    The rules are expanded as given: filtering out deleted or archived ones is the caller's
    choice (a booking may point at a rule deleted since).
    """
    lessons: list[Lesson] = []
    rules = list(rules)
    day = date_from
    while day <= date_to:
        for rule in rules:
            if rule.covers(day):
                lessons.append(expand_one(rule, day=day, tz=tz, taken=taken.get((rule.id, day), 0)))
        day += timedelta(days=1)
    lessons.sort(key=lambda lesson: (lesson.start, lesson.schedule_id))
    return lessons


def expand_one(rule: WireSchedule, *, day: date, tz: ZoneInfo, taken: int) -> Lesson:
    """The lesson ``rule`` gives on ``day`` (the caller has checked ``rule.covers(day)``)."""
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    # Aware datetime + timedelta is wall-clock arithmetic in Python: minutes from the studio's
    # midnight, with the UTC offset of the resulting wall time (correct across DST changes).
    start = midnight + timedelta(minutes=rule.minutes_begin)
    end = midnight + timedelta(minutes=rule.minutes_end)
    group = rule.group
    teacher = rule.teacher or group.teacher1
    capacity = max(group.place_count, 0)
    return Lesson(
        schedule_id=rule.id,
        date=day,
        start=start,
        end=end,
        group_id=group.id,
        group_name=group.name,
        style_id=group.style.id if group.style else None,
        style_name=(group.style.name or None) if group.style else None,
        teacher_name=_teacher_name(teacher.name, teacher.last_name) if teacher else None,
        hall_name=(rule.hall.name or None) if rule.hall else None,
        capacity=capacity,
        free_places=max(capacity - taken, 0),
    )


def _teacher_name(name: str, last_name: str | None) -> str | None:
    full = " ".join(part for part in (name, last_name) if part)
    return full or None
