"""The temporal parser, table-driven. Today is Monday 2 March 2026 unless a row says otherwise."""

from __future__ import annotations

from datetime import date, time

import pytest

from dancebot.nlu.temporal import When, parse_when

MON = date(2026, 3, 2)

DAYS = [
    ("сегодня", MON, date(2026, 3, 2)),
    ("завтра", MON, date(2026, 3, 3)),
    ("послезавтра", MON, date(2026, 3, 4)),
    ("Завтра вечером", MON, date(2026, 3, 3)),
    ("в среду", MON, date(2026, 3, 4)),
    ("на среду", MON, date(2026, 3, 4)),
    ("в эту среду", MON, date(2026, 3, 4)),
    ("в следующую среду", MON, date(2026, 3, 11)),
    ("на следующей неделе в среду", MON, date(2026, 3, 11)),
    ("в понедельник", MON, date(2026, 3, 2)),
    ("во вторник", MON, date(2026, 3, 3)),
    ("в четверг", MON, date(2026, 3, 5)),
    ("в пятницу", MON, date(2026, 3, 6)),
    ("в субботу", MON, date(2026, 3, 7)),
    ("в воскресенье", MON, date(2026, 3, 8)),
    ("в ср", MON, date(2026, 3, 4)),
    ("пт", MON, date(2026, 3, 6)),
    ("в среду", date(2026, 3, 5), date(2026, 3, 11)),  # said on Thursday: next week's
    ("в следующую пятницу", date(2026, 3, 5), date(2026, 3, 13)),
    ("5 марта", MON, date(2026, 3, 5)),
    ("1 марта", MON, date(2027, 3, 1)),  # already past this year
    ("на 5-е", MON, date(2026, 3, 5)),
    ("5-го", MON, date(2026, 3, 5)),
    ("на 1-е", MON, date(2026, 4, 1)),
    ("05.03", MON, date(2026, 3, 5)),
    ("5.03", MON, date(2026, 3, 5)),
    ("05.03.2026", MON, date(2026, 3, 5)),
    ("12 апреля", MON, date(2026, 4, 12)),
    ("31 декабря", MON, date(2026, 12, 31)),
    ("2 января", MON, date(2027, 1, 2)),
    ("через неделю", MON, date(2026, 3, 9)),
    ("через 2 дня", MON, date(2026, 3, 4)),
    ("через день", MON, date(2026, 3, 3)),
    ("через две недели", MON, date(2026, 3, 16)),
    ("через пару дней", MON, date(2026, 3, 4)),
    ("в субботу", date(2026, 12, 31), date(2027, 1, 2)),  # across a year boundary
    ("31 февраля", MON, None),
]


@pytest.mark.parametrize(("text", "today", "expected"), DAYS)
def test_days(text: str, today: date, expected: date | None) -> None:
    assert parse_when(text, today=today).day == expected


TIMES = [
    ("в 19", time(19)),
    ("в 19:00", time(19)),
    ("19:00", time(19)),
    ("в 19.00", time(19)),
    ("к 18:30", time(18, 30)),
    ("в 7 вечера", time(19)),
    ("в 7", time(19)),
    ("в 10 утра", time(10)),
    ("в 10", time(10)),
    ("в 12 дня", time(12)),
    ("в 3 дня", time(15)),
    ("в 20 часов", time(20)),
    ("в 8", time(20)),
    ("завтра в 19", time(19)),
    ("в среду в 18:30", time(18, 30)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_exact_times(text: str, expected: time) -> None:
    assert parse_when(text, today=MON).at == expected


RANGES = [
    ("вечером", time(17), time(23, 59)),
    ("утром", time(6), time(12)),
    ("днём", time(12), time(17)),
    ("днем", time(12), time(17)),
    ("после 18", time(18), None),
    ("с 18", time(18), None),
    ("до 12", None, time(12)),
    ("в среду вечером", time(17), time(23, 59)),
]


@pytest.mark.parametrize(("text", "not_before", "not_after"), RANGES)
def test_ranges(text: str, not_before: time | None, not_after: time | None) -> None:
    when = parse_when(text, today=MON)
    assert (when.at, when.not_before, when.not_after) == (None, not_before, not_after)


@pytest.mark.parametrize(
    "text",
    ["хочу на контемп", "привет", "Мария +7 999 123-45-67", "89991234567", "сколько стоит"],
)
def test_no_time_in_ordinary_messages(text: str) -> None:
    assert parse_when(text, today=MON) == When()


def test_day_and_time_together() -> None:
    assert parse_when("в следующую среду в 19:00", today=MON) == When(
        day=date(2026, 3, 11), at=time(19)
    )
