"""The temporal parser, table-driven. Today is Monday 2 March 2026 unless a row says otherwise."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancebot.nlu.temporal import (
    SerialRequest,
    When,
    parse_delay_minutes,
    parse_serial,
    parse_when,
)

MON = date(2026, 3, 2)
WED = date(2026, 3, 4)
SAT = date(2026, 3, 7)
SUN = date(2026, 3, 8)
EVENING = (time(17), time(23, 59))

DAYS = [
    ("сегодня", MON, date(2026, 3, 2)),
    ("завтра", MON, date(2026, 3, 3)),
    ("послезавтра", MON, date(2026, 3, 4)),
    ("Завтра вечером", MON, date(2026, 3, 3)),
    ("завтро", MON, date(2026, 3, 3)),  # typo
    ("после завтра", MON, date(2026, 3, 4)),  # typo: not "после 18"
    ("в среду", MON, date(2026, 3, 4)),
    ("на среду", MON, date(2026, 3, 4)),
    ("в эту среду", MON, date(2026, 3, 4)),
    ("в следующую среду", MON, date(2026, 3, 11)),
    ("на следующей неделе в среду", MON, date(2026, 3, 11)),
    ("на следующей неделе во вторник", MON, date(2026, 3, 10)),
    ("в следующий понедельник", MON, date(2026, 3, 9)),
    ("в след. среду", MON, date(2026, 3, 11)),
    ("в ближайшую субботу", MON, date(2026, 3, 7)),
    ("в этот четверг", MON, date(2026, 3, 5)),
    ("в это воскресенье", MON, date(2026, 3, 8)),
    ("в понедельник", MON, date(2026, 3, 2)),
    ("во вторник", MON, date(2026, 3, 3)),
    ("в четверг", MON, date(2026, 3, 5)),
    ("в пятницу", MON, date(2026, 3, 6)),
    ("в субботу", MON, date(2026, 3, 7)),
    ("в воскресенье", MON, date(2026, 3, 8)),
    ("Воскресенье подойдёт?", MON, date(2026, 3, 8)),
    ("до среды", MON, date(2026, 3, 4)),
    ("в ср", MON, date(2026, 3, 4)),
    ("пт", MON, date(2026, 3, 6)),
    ("во вт", MON, date(2026, 3, 3)),
    ("в чт.", MON, date(2026, 3, 5)),
    ("в сб", MON, date(2026, 3, 7)),
    ("вс", MON, date(2026, 3, 8)),
    ("в пн", MON, date(2026, 3, 2)),
    ("в среду", date(2026, 3, 5), date(2026, 3, 11)),  # said on Thursday: next week's
    ("в следующую пятницу", date(2026, 3, 5), date(2026, 3, 13)),
    ("в субботу", SAT, SAT),  # said on Saturday: today
    ("5 марта", MON, date(2026, 3, 5)),
    ("5-го марта", MON, date(2026, 3, 5)),
    ("пятого марта", MON, date(2026, 3, 5)),
    ("двадцать пятого марта", MON, date(2026, 3, 25)),
    ("тридцать первого декабря", MON, date(2026, 12, 31)),
    ("первого апреля", MON, date(2026, 4, 1)),
    ("5 мар", MON, date(2026, 3, 5)),
    ("12 апр.", MON, date(2026, 4, 12)),
    ("1 сент", MON, date(2026, 9, 1)),
    ("1 марта", MON, date(2027, 3, 1)),  # already past this year
    ("5 марта", date(2026, 12, 31), date(2027, 3, 5)),
    ("5 марта 2027", MON, date(2027, 3, 5)),
    ("5 марта 2027 года", MON, date(2027, 3, 5)),
    ("5 марта 2025 года", MON, None),  # an explicit past year is not moved
    ("на 5-е", MON, date(2026, 3, 5)),
    ("на пятое", MON, date(2026, 3, 5)),
    ("5-го", MON, date(2026, 3, 5)),
    ("5 числа", MON, date(2026, 3, 5)),
    ("к 10-му", MON, date(2026, 3, 10)),
    ("на 15-е", MON, date(2026, 3, 15)),
    ("на 1-е", MON, date(2026, 4, 1)),  # past this month: next month's
    ("1-го числа", MON, date(2026, 4, 1)),
    ("на 5-е", date(2026, 3, 20), date(2026, 4, 5)),
    ("31-го", date(2026, 4, 5), date(2026, 5, 31)),  # April has no 31st
    ("05.03", MON, date(2026, 3, 5)),
    ("5.03", MON, date(2026, 3, 5)),
    ("05/03", MON, date(2026, 3, 5)),
    ("05.03.2026", MON, date(2026, 3, 5)),
    ("5.03.2026", MON, date(2026, 3, 5)),
    ("5.03.26", MON, date(2026, 3, 5)),
    ("5.03.2025", MON, None),
    ("19.05", MON, date(2026, 5, 19)),  # a date, not 19:05
    ("12 апреля", MON, date(2026, 4, 12)),
    ("31 декабря", MON, date(2026, 12, 31)),
    ("2 января", MON, date(2027, 1, 2)),
    ("через неделю", MON, date(2026, 3, 9)),
    ("через 2 дня", MON, date(2026, 3, 4)),
    ("через 3 дня", MON, date(2026, 3, 5)),
    ("через три дня", MON, date(2026, 3, 5)),
    ("через день", MON, date(2026, 3, 3)),
    ("через сутки", MON, date(2026, 3, 3)),
    ("через две недели", MON, date(2026, 3, 16)),
    ("через пару дней", MON, date(2026, 3, 4)),
    ("через пару недель", MON, date(2026, 3, 16)),
    ("через месяц", MON, date(2026, 4, 2)),
    ("через месяц", date(2026, 1, 31), date(2026, 2, 28)),  # clamped to the month's end
    ("через 2 месяца", MON, date(2026, 5, 2)),
    ("в субботу", date(2026, 12, 31), date(2027, 1, 2)),  # across a year boundary
    ("в среду 4 марта", MON, date(2026, 3, 4)),
    ("в четверг 4 марта", MON, date(2026, 3, 4)),  # the calendar date wins
    ("31 февраля", MON, None),
    ("31 апреля", MON, None),
    ("30.02", MON, None),
    ("29 февраля", MON, None),  # neither 2026 nor 2027 has it
    ("29 февраля", date(2027, 3, 5), date(2028, 2, 29)),
]


@pytest.mark.parametrize(("text", "today", "expected"), DAYS)
def test_days(text: str, today: date, expected: date | None) -> None:
    assert parse_when(text, today=today).day == expected


SEVERAL_DAYS = [
    ("на выходных", MON, SAT, (SAT, SUN)),
    ("в выходные", MON, SAT, (SAT, SUN)),
    ("в эти выходные", MON, SAT, (SAT, SUN)),
    ("на выходных", SAT, SAT, (SAT, SUN)),
    ("на выходных", SUN, date(2026, 3, 14), (date(2026, 3, 14), date(2026, 3, 15))),
    ("в эти выходные", SUN, SUN, ()),  # only Sunday is left of them
    ("на следующих выходных", MON, date(2026, 3, 14), (date(2026, 3, 14), date(2026, 3, 15))),
    ("в среду или в пятницу", MON, WED, (WED, date(2026, 3, 6))),
    ("во вторник или четверг", MON, date(2026, 3, 3), (date(2026, 3, 3), date(2026, 3, 5))),
    ("в субботу или воскресенье", MON, SAT, (SAT, SUN)),
    ("завтра или послезавтра", MON, date(2026, 3, 3), (date(2026, 3, 3), WED)),
    ("завтра или в четверг", MON, date(2026, 3, 3), (date(2026, 3, 3), date(2026, 3, 5))),
    ("5 или 6 марта", MON, date(2026, 3, 5), (date(2026, 3, 5), date(2026, 3, 6))),
    ("в будни", MON, None, tuple(MON + timedelta(days=i) for i in range(5))),
    ("на этой неделе", WED, None, tuple(WED + timedelta(days=i) for i in range(5))),
    ("на следующей неделе", MON, None, tuple(date(2026, 3, 9 + i) for i in range(7))),
    ("с 10 по 12 марта", MON, None, (date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12))),
]


@pytest.mark.parametrize(("text", "today", "day", "days"), SEVERAL_DAYS)
def test_several_days(text: str, today: date, day: date | None, days: tuple[date, ...]) -> None:
    when = parse_when(text, today=today)
    assert (when.day, when.days) == (day, days)


TIMES = [
    ("в 19", time(19)),
    ("в 19:00", time(19)),
    ("19:00", time(19)),
    ("в 19.00", time(19)),
    ("19.00", time(19)),
    ("в 18.30", time(18, 30)),
    ("18.30", time(18, 30)),
    ("в 19.05", time(19, 5)),
    ("к 18:30", time(18, 30)),
    ("в 7 вечера", time(19)),
    ("в 7 часов вечера", time(19)),
    ("в 7", time(19)),
    ("в 7:30", time(19, 30)),
    ("09:30", time(9, 30)),  # a leading zero means the morning
    ("в 9:30 утра", time(9, 30)),
    ("утром в 9", time(9)),
    ("вечером в 7", time(19)),
    ("в 10 утра", time(10)),
    ("в 10", time(10)),
    ("в 12", time(12)),
    ("в 12 дня", time(12)),
    ("в 3 дня", time(15)),
    ("в 2 ночи", time(2)),
    ("в 12 ночи", time(0)),
    ("в 11 вечера", time(23)),
    ("в 20 часов", time(20)),
    ("в 19 часов 30 минут", time(19, 30)),
    ("в 19ч", time(19)),
    ("19ч30", time(19, 30)),
    ("в 8", time(20)),
    ("в19", time(19)),  # no space
    ("в 19 00", time(19)),
    ("19 00", time(19)),
    ("в 19-30", time(19, 30)),
    ("к 19", time(19)),
    ("на 19", time(19)),
    ("нет, на 18:30", time(18, 30)),
    ("в семь вечера", time(19)),
    ("в восемь", time(20)),
    ("к восьми", time(20)),
    ("в десять утра", time(10)),
    ("в семь тридцать", time(19, 30)),
    ("в час дня", time(13)),
    ("в половине восьмого", time(19, 30)),
    ("в полвосьмого", time(19, 30)),
    ("в пол восьмого", time(19, 30)),
    ("полвосьмого", time(19, 30)),
    ("в половине одиннадцатого", time(10, 30)),
    ("без четверти восемь", time(19, 45)),
    ("без десяти семь", time(18, 50)),
    ("завтра в 19", time(19)),
    ("в среду в 18:30", time(18, 30)),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_exact_times(text: str, expected: time) -> None:
    assert parse_when(text, today=MON).at == expected


RANGES = [
    ("вечером", *EVENING),
    ("по вечерам", *EVENING),
    ("утром", time(6), time(12)),
    ("с утра", time(6), time(12)),
    ("днём", time(12), time(17)),
    ("днем", time(12), time(17)),
    ("ночью", time(22), time(23, 59)),
    ("до обеда", time(6), time(13)),
    ("после обеда", time(13), time(23, 59)),
    ("во второй половине дня", time(13), time(23, 59)),
    ("после 18", time(18), None),
    ("после 7 вечера", time(19), None),
    ("не раньше 18", time(18), None),
    ("с 18", time(18), None),
    ("до 12", None, time(12)),
    ("не позже 20", None, time(20)),
    ("в среду вечером", *EVENING),
    ("с 18 до 20", time(18), time(20)),
    ("с 18:00 до 20:00", time(18), time(20)),
    ("между 18 и 20", time(18), time(20)),
    ("18-20", time(18), time(20)),
    ("с 6 до 8 вечера", time(18), time(20)),
    ("с шести до восьми", time(18), time(20)),
    ("с 8 до 10", time(20), time(22)),
    ("с 10 до 12", time(10), time(12)),
    ("с 10 утра до 2 дня", time(10), time(14)),
    ("около 19", time(18), time(20)),
    ("часов в 7", time(18), time(20)),
    ("вечером после 19", time(19), time(23, 59)),
    ("утром до 11", time(6), time(11)),
]


@pytest.mark.parametrize(("text", "not_before", "not_after"), RANGES)
def test_ranges(text: str, not_before: time | None, not_after: time | None) -> None:
    when = parse_when(text, today=MON)
    assert (when.at, when.not_before, when.not_after) == (None, not_before, not_after)


TOGETHER = [
    ("в следующую среду в 19:00", When(day=date(2026, 3, 11), at=time(19))),
    ("завтра в 19:00", When(day=date(2026, 3, 3), at=time(19))),
    ("в субботу в 12", When(day=SAT, at=time(12))),
    ("5 марта в 7 вечера", When(day=date(2026, 3, 5), at=time(19))),
    ("на 5-е в 19", When(day=date(2026, 3, 5), at=time(19))),
    ("05.03 в 19.00", When(day=date(2026, 3, 5), at=time(19))),
    ("19:00 05.03", When(day=date(2026, 3, 5), at=time(19))),
    ("в пятницу вечером", When(day=date(2026, 3, 6), not_before=EVENING[0], not_after=EVENING[1])),
    ("послезавтра с 18 до 20", When(day=WED, not_before=time(18), not_after=time(20))),
    ("Мария, +7 999 123-45-67, на среду в 19", When(day=WED, at=time(19))),
    ("в среду в 19, нас будет 2 человека", When(day=WED, at=time(19))),
]


@pytest.mark.parametrize(("text", "expected"), TOGETHER)
def test_day_and_time_together(text: str, expected: When) -> None:
    assert parse_when(text, today=MON) == expected


NOT_DATES_OR_TIMES = [
    "хочу на контемп",
    "привет",
    "Мария +7 999 123-45-67",
    "89991234567",
    "8 (999) 123-45-67",
    "+7 912 345 67 89",
    "сколько стоит",
    "900 ₽",
    "стоит 5600 руб",
    "абонемент 4800р",
    "ребенку 7 лет",
    "дочке 5 годиков",
    "мне 25 лет",
    "опаздываю на 10 минут",
    "буду через 15 минут",
    "я опаздываю минут на 10",
    "задержусь минут 5-10",
    "занятие длится 1.5 часа",
    "через 2 часа",
    "на 8 занятий",
    "нас будет 2 человека",
    "3 этаж",
    "в 3 зале",
    "в 7 классе",
    "в 2 раза дешевле",
    "скидка 10%",
    "на 2-е занятие",
    "для второго ребенка",
    "добрый вечер",
    "добрый день",
    "доброе утро",
    "Марта, здравствуйте",
    "ул. Светланская, 87",
    "дом 5",
]


@pytest.mark.parametrize("text", NOT_DATES_OR_TIMES)
def test_no_time_in_ordinary_messages(text: str) -> None:
    assert parse_when(text, today=MON) == When()


def test_periods_and_habits_are_exposed() -> None:
    when = parse_when("по вторникам и четвергам весь март", today=MON)
    assert when.weekdays == (2, 4)
    assert (when.period_start, when.period_end) == (MON, date(2026, 3, 31))
    assert when.all_days == (date(2026, 3, 3), date(2026, 3, 5))


def test_a_bound_alone_is_not_empty() -> None:
    assert not parse_when("до 12", today=MON).is_empty
    assert not parse_when("весь март", today=MON).is_empty
    assert parse_when("спасибо", today=MON).is_empty


SERIAL = [
    # text, today, weekdays, date_from, date_to, lessons
    ("по вторникам и четвергам весь март", MON, (2, 4), MON, date(2026, 3, 31), None),
    ("каждую среду в течение месяца", MON, (3,), MON, date(2026, 4, 1), None),
    ("по понедельникам до конца апреля", MON, (1,), MON, date(2026, 4, 30), None),
    ("на 4 недели по субботам", MON, (6,), MON, date(2026, 3, 29), None),
    ("по вт и чт на месяц", MON, (2, 4), MON, date(2026, 4, 1), None),
    ("каждый вторник и четверг до конца месяца", MON, (2, 4), MON, date(2026, 3, 31), None),
    ("по средам в апреле", MON, (3,), date(2026, 4, 1), date(2026, 4, 30), None),
    ("по пятницам весь следующий месяц", MON, (5,), date(2026, 4, 1), date(2026, 4, 30), None),
    ("по субботам со следующей недели на 2 недели", MON, (6,), date(2026, 3, 9),
     date(2026, 3, 22), None),
    ("по воскресеньям до 15 апреля", MON, (7,), MON, date(2026, 4, 15), None),
    ("вторник и четверг весь март", MON, (2, 4), MON, date(2026, 3, 31), None),
    ("по средам", MON, (3,), MON, None, None),
    ("каждую среду, 8 занятий", MON, (3,), MON, date(2026, 4, 22), 8),
    ("по субботам на 4 занятия", MON, (6,), MON, date(2026, 3, 28), 4),
    ("по вторникам весь март", date(2026, 2, 10), (2,), date(2026, 3, 1), date(2026, 3, 31),
     None),
    ("по средам весь январь", MON, (3,), date(2027, 1, 1), date(2027, 1, 31), None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "today", "weekdays", "date_from", "date_to", "lessons"), SERIAL)
def test_serial_requests(
    text: str,
    today: date,
    weekdays: tuple[int, ...],
    date_from: date,
    date_to: date | None,
    lessons: int | None,
) -> None:
    request = parse_serial(text, today=today)
    assert request is not None
    assert (request.weekdays, request.date_from, request.date_to, request.lessons) == (
        weekdays,
        date_from,
        date_to,
        lessons,
    )


@pytest.mark.parametrize("text", ["в среду", "весь март", "абонемент на месяц", "привет"])
def test_no_series_without_a_weekday_to_repeat(text: str) -> None:
    assert parse_serial(text, today=MON) is None


def test_series_dates_and_time() -> None:
    request = parse_serial("по вторникам и четвергам в 19:00 весь март", today=MON)
    assert request is not None
    assert request.at == time(19)
    assert [d.day for d in request.dates()] == [3, 5, 10, 12, 17, 19, 24, 26, 31]
    counted = SerialRequest(weekdays=(3,), date_from=MON, lessons=3)
    assert counted.dates() == (WED, date(2026, 3, 11), date(2026, 3, 18))
    assert SerialRequest(weekdays=(3,), date_from=MON).dates() == ()


DELAYS = [
    ("опаздываю на 10 минут", 10),
    ("на полчаса", 30),
    ("опоздаю на пол часа", 30),
    ("минут на 15", 15),
    ("задерживаюсь минут на двадцать", 20),
    ("буду через 5 мин", 5),
    ("опоздаю на 10-15 минут", 15),
    ("на пять минут опоздаю", 5),
    ("на час", 60),
    ("на полтора часа", 90),
    ("на пару минут", 2),
    ("минут 10", 10),
    ("опаздываю", None),
    ("буду в 19 часов 30 минут", None),  # a time of day, not a delay
    ("на 2 часа дня", None),
]


@pytest.mark.parametrize(("text", "expected"), DELAYS)
def test_delay_minutes(text: str, expected: int | None) -> None:
    assert parse_delay_minutes(text) == expected


MONTHS_GENITIVE = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip
WEEKDAY_WORDS = ["понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"]


@given(
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    day=st.integers(min_value=1, max_value=28),
    month=st.integers(min_value=1, max_value=12),
)
def test_a_named_date_is_never_in_the_past(today: date, day: int, month: int) -> None:
    found = parse_when(f"{day} {MONTHS_GENITIVE[month - 1]}", today=today).day
    assert found is not None
    assert today <= found < today + timedelta(days=366)
    assert (found.day, found.month) == (day, month)


@given(
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    index=st.integers(min_value=0, max_value=6),
)
def test_a_weekday_is_the_next_one(today: date, index: int) -> None:
    found = parse_when(f"в {WEEKDAY_WORDS[index]}", today=today).day
    assert found is not None
    assert today <= found < today + timedelta(days=7)
    assert found.isoweekday() == index + 1
