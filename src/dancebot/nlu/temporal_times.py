"""Times of day in a prepared message: exact ("в 19", "19:00"), bounds ("после 18", "до 12"),
ranges ("с 18 до 20", "между 6 и 8 вечера", "18-20") and parts of the day ("вечером").

An hour from 1 to 9 said without "утра"/"вечера" and without a leading zero is taken as
evening ("в 7" → 19:00): studios teach adults after work. "Утром" anywhere in the message
turns that off ("утром в 9" → 9:00); "09:30" is read as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from dancebot.nlu.temporal_lexicon import HOUR_PART, PARTS_OF_DAY
from dancebot.nlu.temporal_prepare import Scratch


def _clock(i: int) -> str:
    return (
        rf"(?P<h{i}>\d{{1,2}})(?:(?P<sep{i}>[:.])(?P<m{i}>\d{{2}}))?(?![\d/]|[.:]\d)"
        rf"(?:\s*(?:час\w*|ч)\b\.?)?(?:\s+(?P<p{i}>{HOUR_PART})\b)?"
    )


_T1, _T2 = _clock(1), _clock(2)
_RANGES = (
    re.compile(rf"\b(?:с|со|от)\s+{_T1}\s*(?:до|по|-|–)\s*{_T2}"),
    re.compile(rf"\bмежду\s+{_T1}\s+и\s+{_T2}"),
    re.compile(rf"(?:\b(?:в|на)\s+)?\b{_T1}\s*[-–]\s*{_T2}"),
)
_AROUND = re.compile(
    rf"\b(?:около|примерно в|примерно к|где-то в|где то в|часов в|часам к|ближе к)\s+{_T1}"
)
_AFTER = re.compile(
    rf"\b(?:после|(?<!не )позже|(?<!не )позднее|не раньше|не ранее|с|со|от)\s+{_T1}"
)
_BEFORE = re.compile(rf"\b(?:до|не позже|не позднее|раньше)\s+{_T1}")
_AT = re.compile(rf"\b(?:в|во|к|ко|на)\s+{_T1}")
_BARE_CLOCK = re.compile(rf"\b{_T1}")

_PARTS_OF_DAY = tuple((re.compile(pattern), start, end) for pattern, start, end in PARTS_OF_DAY)

MORNING, DAYTIME, EVENING = "morning", "day", "evening"


@dataclass(frozen=True, slots=True)
class TimeFinding:
    at: time | None = None
    not_before: time | None = None
    not_after: time | None = None


def find_times(s: Scratch) -> TimeFinding:
    """The time of day ``s`` names; each part read is blanked out."""
    not_before, not_after, hint = _part_of_day(s)
    at: time | None = None
    for pattern in _RANGES:
        for m in s.matches(pattern):
            bounds = _range(m, hint)
            if bounds is not None:
                s.blank(m)
                not_before, not_after = bounds
    for m in s.matches(_AROUND):
        if (t := _time(m, 1, hint, prepositional=True)) is not None:
            s.blank(m)
            not_before = time(max(t.hour - 1, 0), t.minute)
            not_after = time(min(t.hour + 1, 23), t.minute)
    for pattern, role in ((_AFTER, "after"), (_BEFORE, "before"), (_AT, "at")):
        for m in s.matches(pattern):
            if (t := _time(m, 1, hint, prepositional=True)) is not None:
                s.blank(m)
                if role == "after":
                    not_before = t
                elif role == "before":
                    not_after = t
                else:
                    at = at or t
    for m in s.matches(_BARE_CLOCK):
        if m["m1"] and (t := _time(m, 1, hint, prepositional=False)) is not None:
            s.blank(m)
            at = at or t
    return TimeFinding(at=at, not_before=not_before, not_after=not_after)


def _part_of_day(s: Scratch) -> tuple[time | None, time | None, str | None]:
    for pattern, start, end in _PARTS_OF_DAY:
        if s.take(pattern):
            hint = MORNING if start.hour < 12 else DAYTIME if start.hour < 17 else EVENING
            return start, end, hint
    return None, None, None


def _time(m: re.Match[str], i: int, hint: str | None, *, prepositional: bool) -> time | None:
    """The time in group ``i`` of ``m``, or None when it is not a time (a date "5.03")."""
    return _convert(m, i, m[f"p{i}"], hint, prepositional=prepositional)[0]


def _convert(
    m: re.Match[str], i: int, part: str | None, hint: str | None, *, prepositional: bool
) -> tuple[time | None, bool]:
    """(time, whether the evening shift was guessed) for group ``i`` read with ``part``."""
    raw_hour, sep, raw_minutes = m[f"h{i}"], m[f"sep{i}"], m[f"m{i}"]
    hour, minutes = int(raw_hour), int(raw_minutes or 0)
    if hour > 23 or minutes > 59:
        return None, False
    if sep == "." and not _dot_is_time(minutes, prepositional=prepositional):
        return None, False
    guessed = False
    if part is not None:
        hour = _with_part(hour, part)
    elif hint == MORNING:
        pass
    elif (hint == EVENING and hour < 12) or (hint == DAYTIME and 1 <= hour <= 6):
        hour += 12
    elif hint is None and 1 <= hour <= 9 and not raw_hour.startswith("0"):
        hour, guessed = hour + 12, True
    return time(hour % 24, minutes), guessed


def _dot_is_time(minutes: int, *, prepositional: bool) -> bool:
    """``19.00`` and ``18.30`` are times, ``19.05`` is 19 May; after "в", "в 19.05" is a time."""
    if prepositional:
        return minutes % 5 == 0 or minutes > 12
    return minutes == 0 or minutes > 12


def _with_part(hour: int, part: str) -> int:
    if part == "вечера" and hour < 12:
        return hour + 12
    if part == "дня" and 1 <= hour <= 6:
        return hour + 12
    if part == "ночи":
        return 0 if hour == 12 else hour + 12 if 9 <= hour <= 11 else hour
    return hour


def _range(m: re.Match[str], hint: str | None) -> tuple[time, time] | None:
    """A part of the day said once applies to both ends: "с 6 до 8 вечера" is 18–20."""
    part1, part2 = m["p1"] or m["p2"], m["p2"] or m["p1"]
    first, first_guessed = _convert(m, 1, part1, hint, prepositional=True)
    last, last_guessed = _convert(m, 2, part2, hint, prepositional=True)
    if first is None or last is None:
        return None
    if first > last and first_guessed and not last_guessed and last.hour + 12 <= 23:
        last = time(last.hour + 12, last.minute)  # "с 8 до 10" → 20:00–22:00
    elif first > last and first_guessed:
        first = time(first.hour - 12, first.minute)
    return (first, last) if first < last else None
