"""How many minutes late a client says they will be: "опаздываю на 10 минут" → 10.

A duration is not a time of day, so ``parse_when`` ignores it; this reads it instead.
"""

from __future__ import annotations

import re

from dancebot.nlu.temporal_prepare import numbers_as_digits
from dancebot.nlu.text import normalize

MAX_DELAY_MINUTES = 180  # beyond this it is not "late", it is another day

_AMOUNT = r"(?P<a>\d{1,3})(?:\s*(?:-|–|до|или)\s*(?P<b>\d{1,3}))?"
_MINUTES_AFTER = re.compile(rf"\b{_AMOUNT}\s*(?:минут\w*|мин)\b")  # "на 10-15 минут"
_MINUTES_BEFORE = re.compile(rf"\b(?:минут\w*|мин)\.?\s+(?:на\s+|через\s+)?{_AMOUNT}\b")
_CLOCK_BEFORE = re.compile(r"(?:\d\s*(?:час\w*|ч\.?)|:)\s*$")  # "в 19 часов 30 минут"
_HOURS = re.compile(
    r"\b(?:на|через|около|примерно)\s+(?:(?P<n>\d{1,2})\s*)?час(?:а|ов|ик|ок)?\b"
    r"(?!\s*(?:утра|дня|вечера|ночи|\d))"
)
_FIXED: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\bполтора\s+часа\b"), 90),
    (re.compile(r"\bпол\s*-?\s*часа\b|\bполчаса\b|\bполчасика\b"), 30),
    (re.compile(r"\bчетверть\s+часа\b"), 15),
    (re.compile(r"\bпар[уы](?:\s*-\s*тройку)?\s+мин\w*"), 2),
)


def parse_delay_minutes(text: str) -> int | None:
    """Minutes of delay the text names ("минут на 15", "на полчаса", "на 10-15 минут" → the
    upper bound), or None when it names no duration. Never raises."""
    t = numbers_as_digits(normalize(text))
    for pattern in (_MINUTES_AFTER, _MINUTES_BEFORE):
        for m in pattern.finditer(t):
            if _CLOCK_BEFORE.search(t[: m.start()]):
                continue
            return _bounded(int(m["b"] or m["a"]))
    for fixed, minutes in _FIXED:
        if fixed.search(t):
            return minutes
    if hours := _HOURS.search(t):
        return _bounded(60 * int(hours["n"] or 1))
    return None


def _bounded(minutes: int) -> int | None:
    return minutes if 0 < minutes <= MAX_DELAY_MINUTES else None
