"""Russian date and time expressions → absolute dates and times (RFC §8, CC-2).

The LLM never computes dates: this parser does, relative to ``today`` in the studio's time
zone, and always resolves into the future ("5 марта" said on 10 March means next year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from dancebot.nlu.text import normalize

WEEKDAYS: dict[str, int] = {  # stem → ISO weekday
    "понедельн": 1, "пн": 1,
    "вторн": 2, "вт": 2,
    "сред": 3, "ср": 3,
    "четверг": 4, "чт": 4,
    "пятниц": 5, "пт": 5,
    "суббот": 6, "сб": 6,
    "воскресен": 7, "вс": 7,
}  # fmt: skip
MONTHS: dict[str, int] = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6,
    "июл": 7, "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
PARTS_OF_DAY: dict[str, tuple[time, time]] = {
    "утр": (time(6), time(12)),
    "дн": (time(12), time(17)),
    "вечер": (time(17), time(23, 59)),
}

_WEEKDAY_RE = re.compile(
    r"\b(?P<next>следующ\w*\s+)?(?P<day>понедельник\w*|вторник\w*|сред[ауы]|четверг\w*|"
    r"пятниц[аеуы]|суббот[аеуы]|воскресень[ея]|пн|вт|ср|чт|пт|сб|вс)\b"
)
_DAY_MONTH_RE = re.compile(
    r"\b(?P<d>[0-3]?\d)(?:-?(?:е|го))?\s+(?P<m>январ|феврал|март|апрел|ма[яй]|июн|июл|август|"
    r"сентябр|октябр|ноябр|декабр)\w*"
)
_NUMERIC_DATE_RE = re.compile(r"\b(?P<d>[0-3]?\d)[./](?P<m>[01]?\d)(?:[./](?P<y>\d{2,4}))?\b")
_ORDINAL_DAY_RE = re.compile(r"\bна\s+(?P<d>[0-3]?\d)-?(?:е|ое|го)\b|\b(?P<d2>[0-3]?\d)-(?:го|е)\b")
_IN_N_RE = re.compile(
    r"\bчерез\s+(?P<n>\d+|одн\w*|два|две|три|пару)?\s*(?P<unit>д(?:ень|ня|ней)|недел\w*)"
)
_CLOCK_RE = re.compile(r"\b(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)\b")
_AT_HOUR_RE = re.compile(
    r"\b(?P<prep>в|к|после|с|до)\s+(?P<h>[01]?\d|2[0-3])(?:\s*(?:час\w*|ч\.?))?"
    r"(?:\s+(?P<part>утра|дня|вечера|ночи))?(?![\d:.])"
)
_NUMBER_WORDS = {"одн": 1, "два": 2, "две": 2, "три": 3, "пару": 2}


@dataclass(frozen=True, slots=True)
class When:
    """What a message says about when. Every field is optional; ``day`` is absolute."""

    day: date | None = None
    at: time | None = None  # an exact start ("в 19", "19:00")
    not_before: time | None = None  # "после 18", "вечером"
    not_after: time | None = None

    @property
    def is_empty(self) -> bool:
        return self.day is None and self.at is None and self.not_before is None


def parse_when(text: str, *, today: date) -> When:
    """Everything the text says about a date and a time, resolved relative to ``today``."""
    t = normalize(text)
    day = _parse_day(t, today)
    at, not_before, not_after = _parse_time(t)
    return When(day=day, at=at, not_before=not_before, not_after=not_after)


def _parse_day(t: str, today: date) -> date | None:
    for word, shift in (("послезавтра", 2), ("завтра", 1), ("сегодня", 0)):
        if re.search(rf"\b{word}\b", t):
            return today + timedelta(days=shift)
    if m := _IN_N_RE.search(t):
        return today + _in_n(m)
    if m := _DAY_MONTH_RE.search(t):
        return _future_date(int(m["d"]), _month(m["m"]), today)
    if (m := _NUMERIC_DATE_RE.search(t)) and _is_date_not_time(m):
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0) if m["y"] else None
        return _future_date(int(m["d"]), int(m["m"]), today, year=year)
    if m := _ORDINAL_DAY_RE.search(t):
        return _future_day_of_month(int(m["d"] or m["d2"]), today)
    if m := _WEEKDAY_RE.search(t):
        next_week = bool(m["next"]) or re.search(r"\bследующ\w*\s+недел", t) is not None
        return _weekday(m["day"], today, next_week=next_week)
    return None


def _parse_time(t: str) -> tuple[time | None, time | None, time | None]:
    not_before: time | None = None
    not_after: time | None = None
    for stem, (start, end) in PARTS_OF_DAY.items():
        if re.search(rf"\b{stem}\w*\b", t) and not re.search(r"\b(?:утра|дня|вечера)\b", t):
            not_before, not_after = start, end
    for clock in _CLOCK_RE.finditer(t):
        if not _is_date_not_time(clock, clock=True):
            return time(int(clock["h"]), int(clock["m"])), not_before, not_after
    if m := _AT_HOUR_RE.search(t):
        hour = _hour_with_part(int(m["h"]), m["part"])
        if m["prep"] in ("после", "с"):
            return None, time(hour), not_after
        if m["prep"] == "до":
            return None, not_before, time(hour)
        return time(hour), not_before, not_after
    return None, not_before, not_after


def _hour_with_part(hour: int, part: str | None) -> int:
    if part in ("вечера", "дня") and hour < 12:
        return hour + 12
    if part is None and 1 <= hour <= 9:  # studios open at ~10: "в 7" means 19:00
        return hour + 12
    return hour


def _is_date_not_time(m: re.Match[str], *, clock: bool = False) -> bool:
    """``05.03`` is a date, ``19.00`` / ``19:00`` a time."""
    text = m.group(0)
    if ":" in text:
        return False
    first, second = int(m.group(1)), int(m.group(2))
    if clock:
        return second <= 12 and 1 <= first <= 31 and second >= 1 and not text.endswith("00")
    return 1 <= second <= 12 and 1 <= first <= 31


def _in_n(m: re.Match[str]) -> timedelta:
    raw = m["n"]
    n = 1
    if raw:
        n = (
            int(raw)
            if raw.isdigit()
            else next(v for k, v in _NUMBER_WORDS.items() if raw.startswith(k))
        )
    return timedelta(days=n * (7 if m["unit"].startswith("недел") else 1))


def _month(word: str) -> int:
    return next(v for k, v in MONTHS.items() if word.startswith(k))


def _weekday(word: str, today: date, *, next_week: bool) -> date:
    iso = next(v for k, v in WEEKDAYS.items() if word.startswith(k))
    if next_week:
        monday_next = today + timedelta(days=7 - today.weekday())
        return monday_next + timedelta(days=iso - 1)
    return today + timedelta(days=(iso - today.isoweekday()) % 7)


def _future_date(day: int, month: int, today: date, *, year: int | None = None) -> date | None:
    for y in [year] if year else [today.year, today.year + 1]:
        try:
            candidate = date(y, month, day)
        except ValueError:
            return None
        if candidate >= today or year:
            return candidate
    return None


def _future_day_of_month(day: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None
