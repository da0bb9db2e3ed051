"""Calendar arithmetic for the temporal parser: every result lies on or after ``today``."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def future_date(day: int, month: int, today: date, *, year: int | None = None) -> date | None:
    """``day``.``month`` this year, or next year once it has passed; with ``year``, that
    date only if it is not in the past. None for a day that does not exist (31 February)."""
    years = [year] if year is not None else [today.year, today.year + 1]
    for candidate_year in years:
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def future_day_of_month(day: int, today: date) -> date | None:
    """The next ``day``-th of a month: this month's, else the next month that has it."""
    year, month = today.year, today.month
    for _ in range(3):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def whole_month(month: int, today: date) -> tuple[date, date]:
    """The rest of ``month`` from today (this year's, or next year's once it has ended)."""
    year = today.year if month_end(date(today.year, month, 1)) >= today else today.year + 1
    first = date(year, month, 1)
    return max(first, today), month_end(first)


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def nearest_weekday(iso: int, base: date) -> date:
    """The first day on or after ``base`` that is ISO weekday ``iso``."""
    return base + timedelta(days=(iso - base.isoweekday()) % 7)


def week_of(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
