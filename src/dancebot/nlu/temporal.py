"""Russian date and time expressions → absolute dates and times (RFC §8, CC-2).

The LLM never computes dates: this parser does, relative to ``today`` in the studio's time
zone, and always resolves into the future ("5 марта" said on 10 March means next year).

``parse_when`` reads one message: the day or days, the time of day and any period it names.
``parse_serial`` reads a request for a series of lessons (S6: "по вторникам и четвергам весь
март"). ``parse_delay_minutes`` reads how late a client will be ("опаздываю на 10 минут").
Holidays are not known here: the dialogue layer removes them using the KB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from functools import lru_cache

from dancebot.nlu.temporal_days import DayFinding, find_days, take_numeric_dates
from dancebot.nlu.temporal_delay import parse_delay_minutes
from dancebot.nlu.temporal_prepare import Scratch, prepare
from dancebot.nlu.temporal_times import find_times

__all__ = [
    "SerialRequest",
    "When",
    "lesson_count",
    "parse_delay_minutes",
    "parse_serial",
    "parse_when",
    "serial_from",
]

_LESSON_COUNT = re.compile(r"\b(?P<n>\d{1,2})\s*(?:заняти\w*|урок\w*|тренировк\w*|раз)\b")


@dataclass(frozen=True, slots=True)
class When:
    """What a message says about when. Every field is optional; dates are absolute.

    ``day`` is the day named (the earliest one when several are: "на выходных" → Saturday);
    ``days`` lists every day the message allows when that is more than one ("в среду или
    пятницу", the weekend, "в будни"; for a range such as "в будни" ``day`` stays None).
    ``weekdays`` are ISO weekdays said as a habit ("по вторникам"), ``period_start`` and
    ``period_end`` (both inclusive) a span such as "весь март" or "на 4 недели".
    """

    day: date | None = None
    at: time | None = None  # an exact start ("в 19", "19:00")
    not_before: time | None = None  # "после 18", "вечером"
    not_after: time | None = None  # "до 12"; compared with the lesson's start
    days: tuple[date, ...] = ()
    weekdays: tuple[int, ...] = ()
    period_start: date | None = None
    period_end: date | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.day is None
            and self.at is None
            and self.not_before is None
            and self.not_after is None
            and not self.days
            and not self.weekdays
            and self.period_start is None
            and self.period_end is None
        )

    @property
    def all_days(self) -> tuple[date, ...]:
        """Every day allowed: ``days``, else ``day`` alone, else nothing."""
        if self.days:
            return self.days
        return (self.day,) if self.day is not None else ()


@dataclass(frozen=True, slots=True)
class SerialRequest:
    """A series of lessons on ``weekdays`` (ISO, sorted) from ``date_from`` to ``date_to``,
    both inclusive.

    ``date_to`` is None when neither a period nor a count was named (the dialogue asks for
    the period, RFC S6); ``lessons`` is a count said instead of or besides a period ("на 8
    занятий"); with a count alone, ``date_to`` is the day of the last of those lessons.
    """

    weekdays: tuple[int, ...]
    date_from: date
    date_to: date | None = None
    lessons: int | None = None
    at: time | None = None
    not_before: time | None = None
    not_after: time | None = None

    def dates(self, *, limit: int = 100) -> tuple[date, ...]:
        """The series' days in order, at most ``lessons`` (or ``limit``) of them; empty when
        neither a period nor a count was named. Holidays are not removed here."""
        if self.date_to is None and self.lessons is None:
            return ()
        cap = min(self.lessons or limit, limit)
        found: list[date] = []
        day = self.date_from
        while len(found) < cap and (self.date_to is None or day <= self.date_to):
            if day.isoweekday() in self.weekdays:
                found.append(day)
            day += timedelta(days=1)
        return tuple(found)


@lru_cache(maxsize=4096)
def parse_when(text: str, *, today: date) -> When:
    """Everything the text says about a date and a time, resolved relative to ``today``.

    Never raises; an expression it cannot resolve (31 февраля, a date in a past year) is
    left out. Phone numbers, prices, ages, counts and durations are not read as times.
    A pure function of its arguments, remembered for the last few thousand (a message is
    read several times over: whole, by clause and word by word).
    """
    scratch = Scratch(prepare(text))
    found = find_days(scratch, today)
    times = find_times(scratch)
    found.calendar += take_numeric_dates(scratch, today)
    day, days = _reduce(found)
    return When(
        day=day,
        at=times.at,
        not_before=times.not_before,
        not_after=times.not_after,
        days=days,
        weekdays=tuple(sorted(found.weekdays)),
        period_start=found.period_start,
        period_end=found.period_end,
    )


def parse_serial(text: str, *, today: date) -> SerialRequest | None:
    """A request for a series ("каждую среду в течение месяца", "на 4 недели по субботам"),
    or None when the text names no weekday to repeat."""
    count = _LESSON_COUNT.search(prepare(text, mask=False))
    return serial_from(
        parse_when(text, today=today), today=today, lessons=int(count["n"]) if count else None
    )


def lesson_count(text: str) -> int | None:
    """ "на 8 занятий" → 8."""
    count = _LESSON_COUNT.search(prepare(text, mask=False))
    return int(count["n"]) if count else None


def serial_from(when: When, *, today: date, lessons: int | None = None) -> SerialRequest | None:
    """The series a ``When`` describes (its weekdays over its period), or None."""
    if not when.weekdays:
        return None
    request = SerialRequest(
        weekdays=when.weekdays,
        date_from=when.period_start or today,
        date_to=when.period_end,
        lessons=lessons,
        at=when.at,
        not_before=when.not_before,
        not_after=when.not_after,
    )
    if request.date_to is None and request.lessons:
        request = replace(request, date_to=request.dates()[-1])
    return request


def _reduce(found: DayFinding) -> tuple[date | None, tuple[date, ...]]:
    """``day`` and ``days`` from what was found: a calendar date beats a weekday word
    ("в среду 4 марта" is 4 March), and days named beat ranges ("в будни")."""
    specific = found.named + (found.calendar or found.weekday_days)
    if specific:
        unique = tuple(sorted(set(specific)))
        return unique[0], unique if len(unique) > 1 else ()
    return None, tuple(sorted(set(found.spans)))
