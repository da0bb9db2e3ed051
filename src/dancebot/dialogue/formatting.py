"""Dates, times and money as a Russian-speaking client reads them."""

from __future__ import annotations

from datetime import date, datetime

WEEKDAY_SHORT = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
WEEKDAY_LONG = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
MONTH_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def short_day(day: date) -> str:
    """``Ср 04.03``"""
    return f"{WEEKDAY_SHORT[day.weekday()]} {day:%d.%m}"


def long_day(day: date) -> str:
    """``среда, 4 марта``"""
    return f"{WEEKDAY_LONG[day.weekday()]}, {day.day} {MONTH_GENITIVE[day.month - 1]}"


def lesson_button(start: datetime) -> str:
    """``Ср 04.03 19:00``: short enough for a WhatsApp button (≤ 20 characters)."""
    return f"{short_day(start.date())} {hhmm(start)}"


def rub(amount: int) -> str:
    """``5600 ₽``: no thousands separator, so "5 600" can never read as a price of 600."""
    return f"{amount} ₽"


def plural(n: int, one: str, few: str, many: str) -> str:
    """``plural(4, "занятие", "занятия", "занятий")`` → ``4 занятия``."""
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"
