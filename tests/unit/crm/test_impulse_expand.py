"""Schedule rules → lessons: weekdays, date bounds, time zones, free places."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dancebot.adapters.crm.impulse.expand import expand_rules
from dancebot.adapters.crm.impulse.models import WireSchedule, date_to_unix

VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")  # UTC+10, no DST

# 2026-03-07 is a Saturday; 2026-03-09 a Monday.
SAT, SUN, MON, TUE = (date(2026, 3, 7) + timedelta(days=i) for i in range(4))


def rule(
    rule_id: int,
    *,
    day: int,
    begin: int,
    end: int,
    date_begin: date | None = date(2026, 1, 1),
    date_end: date | None = date(2026, 12, 31),
    place_count: int = 12,
    teacher: dict[str, Any] | None = None,
) -> WireSchedule:
    """A schedule rule as Impulse sends it (nested references, Unix dates)."""
    return WireSchedule.model_validate(
        {
            "id": rule_id,
            "group": {
                "id": rule_id * 10,
                "name": f"Группа {rule_id}",
                "style": {"id": 1, "name": "Contemporary"},
                "teacher1": {"id": 1, "name": "Анна", "lastName": "Петрова"},
                "placeCount": place_count,
            },
            "hall": {"id": 1, "name": "Большой зал"},
            "teacher": teacher,
            "day": day,
            "minutesBegin": begin,
            "minutesEnd": end,
            "dateBegin": date_to_unix(date_begin) if date_begin else None,
            "dateEnd": date_to_unix(date_end) if date_end else None,
            "deleted": False,
            "archived": False,
        }
    )


def test_monday_morning_in_vladivostok_is_sunday_evening_utc() -> None:
    monday_nine = rule(1, day=1, begin=9 * 60, end=10 * 60)
    sunday_six = rule(2, day=7, begin=18 * 60, end=19 * 60 + 30)
    wednesday = rule(3, day=3, begin=19 * 60, end=20 * 60)

    lessons = expand_rules(
        [monday_nine, wednesday, sunday_six],
        date_from=SAT,
        date_to=TUE,
        tz=VLADIVOSTOK,
        taken={},
    )

    assert [(lesson.schedule_id, lesson.date) for lesson in lessons] == [(2, SUN), (1, MON)]
    monday = lessons[1]
    assert monday.start == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    assert monday.start.tzinfo == VLADIVOSTOK
    assert (monday.start.hour, monday.start.minute) == (9, 0)
    assert monday.end - monday.start == timedelta(hours=1)
    assert lessons[0].end.astimezone(VLADIVOSTOK).strftime("%H:%M") == "19:30"


def test_date_bounds_cut_the_range_inclusively() -> None:
    bounded = rule(1, day=1, begin=600, end=660, date_begin=MON, date_end=date(2026, 3, 23))
    open_ended = rule(2, day=1, begin=700, end=760, date_begin=date(2026, 3, 16), date_end=None)

    lessons = expand_rules(
        [bounded, open_ended],
        date_from=date(2026, 3, 1),
        date_to=date(2026, 3, 31),
        tz=VLADIVOSTOK,
        taken={},
    )

    by_rule = {
        rule_id: [lesson.date.day for lesson in lessons if lesson.schedule_id == rule_id]
        for rule_id in (1, 2)
    }
    assert by_rule == {1: [9, 16, 23], 2: [16, 23, 30]}
    assert [lesson.start for lesson in lessons] == sorted(lesson.start for lesson in lessons)


def test_free_places_count_reservations_and_never_go_below_zero() -> None:
    monday = rule(1, day=1, begin=600, end=660, place_count=12)
    tuesday = rule(2, day=2, begin=600, end=660, place_count=3)

    lessons = expand_rules(
        [monday, tuesday],
        date_from=SAT,
        date_to=TUE,
        tz=VLADIVOSTOK,
        taken={(1, MON): 5, (2, TUE): 4, (1, SUN): 99},
    )

    assert [(lesson.capacity, lesson.free_places, lesson.is_full) for lesson in lessons] == [
        (12, 7, False),
        (3, 0, True),
    ]


def test_lesson_names_come_from_rule_then_group() -> None:
    own_teacher = rule(1, day=1, begin=600, end=660, teacher={"id": 2, "name": "Олег"})
    group_teacher = rule(2, day=2, begin=600, end=660, teacher=None)

    first, second = expand_rules(
        [own_teacher, group_teacher], date_from=MON, date_to=TUE, tz=VLADIVOSTOK, taken={}
    )

    assert first.teacher_name == "Олег"
    assert second.teacher_name == "Анна Петрова"
    assert (second.group_id, second.group_name) == (20, "Группа 2")
    assert (second.style_id, second.style_name, second.hall_name) == (
        1,
        "Contemporary",
        "Большой зал",
    )


def test_wall_time_is_kept_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on Sunday 2026-03-29
    sunday_ten = rule(1, day=7, begin=600, end=660)

    before, after = expand_rules(
        [sunday_ten],
        date_from=date(2026, 3, 22),
        date_to=date(2026, 3, 29),
        tz=berlin,
        taken={},
    )

    assert before.start.astimezone(UTC).hour == 9
    assert after.start.astimezone(UTC).hour == 8
    assert after.start.astimezone(berlin).hour == 10


def test_an_empty_or_reversed_range_gives_no_lessons() -> None:
    daily = [rule(day, day=day, begin=600, end=660) for day in range(1, 8)]

    assert expand_rules(daily, date_from=TUE, date_to=SAT, tz=VLADIVOSTOK, taken={}) == []
    one_day = expand_rules(daily, date_from=SAT, date_to=SAT, tz=VLADIVOSTOK, taken={})
    assert [lesson.schedule_id for lesson in one_day] == [6]
