"""Which days a prepared message names: relative days, calendar dates, weekdays, weekends,
week ranges and periods ("весь март", "на 4 недели"). Each recognizer blanks what it read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from dancebot.nlu import temporal_calendar as cal
from dancebot.nlu.temporal_lexicon import (
    MONTH_ANY,
    MONTH_GENITIVE,
    WEEKDAY,
    WEEKDAY_PLURAL,
    month_number,
    weekday_number,
)
from dancebot.nlu.temporal_prepare import Scratch

_DAY_SUFFIX = r"(?:-?(?:го|е|ое|ого))?"
_RELATIVE = {"сегодня": 0, "седня": 0, "завтра": 1, "завтро": 1, "послезавтра": 2}
_RELATIVE_RE = re.compile(rf"\b(?:{'|'.join(_RELATIVE)})\b")
_IN_N = re.compile(
    r"\bчерез\s+(?P<n>\d{1,2}|пару|одн\w*|один)?\s*"
    r"(?P<unit>д(?:ень|ня|ней)|сутки|недел[юиь]\w*|месяц\w*)"
)
_NOT_A_TIME = r"(?<!в )(?<!к )(?<!до )(?<!после )"  # "в 19, 5 марта" is not 19–5 March
_DATE_RANGE = re.compile(
    rf"(?:\bс\s+)?{_NOT_A_TIME}\b(?P<a>\d{{1,2}}){_DAY_SUFFIX}\s*(?P<sep>-|–|по|до|и|или|,)"
    rf"\s*(?P<b>\d{{1,2}}){_DAY_SUFFIX}\s+(?P<m>{MONTH_GENITIVE})"
)
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_DAY_SUFFIX}\s+(?P<m>{MONTH_GENITIVE})"
    r"(?:\s+(?P<y>20\d\d)(?:\s*(?:года|г)\b\.?)?)?"
)
_NUMERIC_WITH_YEAR = re.compile(r"\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4}|\d{2})\b")
_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})\b(?![./]?\d)")
_MONTH_DAY = re.compile(r"\b(?P<d>\d{1,2})(?:-?(?:го|е|ое|ого|му)\b(?:\s+числ\w*)?|\s+числ\w*)")

_END_OF = re.compile(
    rf"\bдо\s+конца\s+(?:этого\s+|текущего\s+)?(?P<what>месяца|недели|года|{MONTH_GENITIVE})"
)
_UNTIL_DATE = re.compile(
    rf"\bдо\s+(?P<d>\d{{1,2}})(?:{_DAY_SUFFIX}\s+(?P<m>{MONTH_GENITIVE})|[./](?P<mn>0?[1-9]|1[0-2])\b(?![.:]?\d)"
    r"|-?(?:го|е)\b)"
)
_THIS_MONTH = re.compile(r"\b(?:весь|все|целый|этот|текущий)\s+месяц\b")
_NEXT_MONTH = re.compile(r"\b(?:на|весь|в|со?)\s+следующ\w+\s+месяц\w*")
_NAMED_MONTH = re.compile(rf"\b(?:на\s+весь|весь|все|на|в|во|в течение|за)\s+(?P<m>{MONTH_ANY})")
_SPAN = re.compile(
    r"(?:\b(?:на|в течение)\s+(?:(?P<n>\d{1,2})\s+|(?P<pair>пару)\s+|ближайш\w+\s+)?"
    r"|\b(?P<bare>\d{1,2})\s+)(?P<unit>недел[юиь]\w*|месяц\w*)"
)
_FROM_NEXT_WEEK = re.compile(r"\bсо?\s+следующ\w+\s+недел\w*")

_MOD = r"(?:следующ\w*|след\.?|эт(?:от|у|о|а|и|их)|ближайш\w*|будущ\w*)"
_ITEM = rf"(?:(?:в|во|на|по|кажд\w+|{_MOD})\s+)*(?:{WEEKDAY_PLURAL}|{WEEKDAY})"
_WEEKDAY_LIST = re.compile(rf"\b{_ITEM}(?:\s*(?:,|/|-|–)?\s*(?:(?:и|или|либо)\s+)?{_ITEM})*")
_ONE_WEEKDAY = re.compile(rf"\b(?P<plural>{WEEKDAY_PLURAL})|\b(?P<single>{WEEKDAY})")
_WEEKLY = re.compile(r"\b(?:еженедельно|кажд\w+\s+недел\w*|раз в неделю)\b")
_NEXT_WEEK = re.compile(r"\b(?:на|в)\s+следующ\w*\s+недел\w*|\bследующ\w*\s+недел\w*")
_THIS_WEEK = re.compile(r"\b(?:на|в)\s+(?:этой|эту|текущей)\s+недел\w*")
_WEEKEND = re.compile(
    rf"\b(?:(?:на|в)\s+)?(?:(?P<mod>{_MOD})\s+)?выходн(?:ые|ых|ым)\b(?:\s+дн\w+)?"
)
_WORKDAYS = re.compile(
    r"\b(?P<prep>в|по|на)\s+(?:будни|будням|буднях|будние\s+дни|будний\s+день|рабочие\s+дни)\b"
)


@dataclass
class DayFinding:
    """What the day recognizers found, before it is reduced to ``When`` fields."""

    named: list[date] = field(default_factory=list)  # "завтра", "через неделю", weekends
    calendar: list[date] = field(default_factory=list)  # "5 марта", "05.03", "на 5-е"
    weekday_days: list[date] = field(default_factory=list)  # from weekday words
    spans: list[date] = field(default_factory=list)  # every day of a range ("в будни")
    weekdays: list[int] = field(default_factory=list)  # recurring ("по вторникам")
    period_start: date | None = None
    period_end: date | None = None


def find_days(s: Scratch, today: date) -> DayFinding:
    """Everything about days in ``s`` except bare ``05.03`` (see ``take_numeric_dates``)."""
    found = DayFinding()
    _take_relative(s, today, found)
    _take_date_ranges(s, today, found)
    _take_period(s, today, found)
    _take_calendar_dates(s, today, found)
    _take_weekdays(s, today, found)
    _take_weekends(s, today, found)
    return found


def take_numeric_dates(s: Scratch, today: date) -> list[date]:
    """``05.03``, ``5/03``: read after the times, so ``19.00`` is already gone."""
    found: list[date] = []
    for m in s.matches(_NUMERIC):
        if 1 <= int(m["m"]) <= 12:
            s.blank(m)
            day = cal.future_date(int(m["d"]), int(m["m"]), today)
            found += [day] if day else []
    return found


def _take_relative(s: Scratch, today: date, found: DayFinding) -> None:
    for m in s.take(_RELATIVE_RE):
        found.named.append(today + timedelta(days=_RELATIVE[m.group(0)]))
    for m in s.take(_IN_N):
        raw = m["n"]
        n = int(raw) if raw and raw.isdigit() else 2 if raw == "пару" else 1
        unit = m["unit"]
        if unit.startswith("месяц"):
            found.named.append(cal.add_months(today, n))
        else:
            found.named.append(today + timedelta(days=n * (7 if unit.startswith("недел") else 1)))


def _take_date_ranges(s: Scratch, today: date, found: DayFinding) -> None:
    for m in s.take(_DATE_RANGE):
        month = month_number(m["m"])
        first = cal.future_date(int(m["a"]), month, today)
        last = cal.future_date(int(m["b"]), month, today)
        if first is None or last is None:
            continue
        if m["sep"] in ("и", "или", ","):
            found.calendar += [first, last]
        elif first <= last <= first + timedelta(days=31):
            found.spans += cal.days_between(first, last)
            found.period_start, found.period_end = first, last


def _take_period(s: Scratch, today: date, found: DayFinding) -> None:
    if s.take(_FROM_NEXT_WEEK):
        found.period_start = cal.next_monday(today)
    start = found.period_start or today
    if m := _first(s, _END_OF):
        found.period_end = _end_of(m["what"], today)
    elif m := _first(s, _UNTIL_DATE):
        found.period_end = _until_date(m, today)
    elif s.take(_THIS_MONTH):
        found.period_end = cal.month_end(today)
    elif s.take(_NEXT_MONTH):
        found.period_start = cal.add_months(today.replace(day=1), 1)
        found.period_end = cal.month_end(found.period_start)
    elif m := _first(s, _NAMED_MONTH):
        found.period_start, found.period_end = cal.whole_month(month_number(m["m"]), today)
    elif m := _first(s, _SPAN):
        n = int(m["n"] or m["bare"] or (2 if m["pair"] else 1))
        if m["unit"].startswith("месяц"):
            found.period_end = cal.add_months(start, n) - timedelta(days=1)
        else:
            found.period_end = start + timedelta(days=7 * n - 1)


def _first(s: Scratch, pattern: re.Pattern[str]) -> re.Match[str] | None:
    found = s.take(pattern)
    return found[0] if found else None


def _end_of(what: str, today: date) -> date:
    if what == "недели":
        return today + timedelta(days=7 - today.isoweekday())
    if what == "года":
        return date(today.year, 12, 31)
    if what == "месяца":
        return cal.month_end(today)
    return cal.whole_month(month_number(what), today)[1]


def _until_date(m: re.Match[str], today: date) -> date | None:
    day = int(m["d"])
    if m["m"]:
        return cal.future_date(day, month_number(m["m"]), today)
    if m["mn"]:
        return cal.future_date(day, int(m["mn"]), today)
    return cal.future_day_of_month(day, today)


def _take_calendar_dates(s: Scratch, today: date, found: DayFinding) -> None:
    for m in s.take(_DAY_MONTH):
        year = int(m["y"]) if m["y"] else None
        _add(found, cal.future_date(int(m["d"]), month_number(m["m"]), today, year=year))
    for m in s.take(_NUMERIC_WITH_YEAR):
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        _add(found, cal.future_date(int(m["d"]), int(m["m"]), today, year=year))
    for m in s.take(_MONTH_DAY):
        _add(found, cal.future_day_of_month(int(m["d"]), today))


def _add(found: DayFinding, day: date | None) -> None:
    if day is not None:
        found.calendar.append(day)


def _take_weekdays(s: Scratch, today: date, found: DayFinding) -> None:
    next_week = s.has(_NEXT_WEEK)
    weekly = s.has(_WEEKLY) or found.period_end is not None
    base = found.period_start or today
    for m in s.take(_WEEKDAY_LIST):
        text = m.group(0)
        recurring = weekly or re.search(r"\b(?:по|кажд\w+)\s", text) is not None
        for one in _ONE_WEEKDAY.finditer(text):
            iso = weekday_number(one.group(0))
            recurring_here = recurring or one["plural"] is not None
            if recurring_here and iso not in found.weekdays:
                found.weekdays.append(iso)
            if (next_week or re.search(r"\bслед", text)) and not recurring_here:
                day = cal.next_monday(today) + timedelta(days=iso - 1)
            else:
                day = cal.nearest_weekday(iso, base)
            found.weekday_days.append(day)
    if found.weekday_days:
        s.take(_NEXT_WEEK)
        s.take(_THIS_WEEK)
    elif s.take(_NEXT_WEEK):
        found.spans += cal.week_of(cal.next_monday(today))
    elif s.take(_THIS_WEEK):
        found.spans += cal.days_between(today, today + timedelta(days=7 - today.isoweekday()))


def _take_weekends(s: Scratch, today: date, found: DayFinding) -> None:
    for m in s.take(_WEEKEND):
        mod = m["mod"] or ""
        if mod.startswith("след"):
            saturday = cal.next_monday(today) + timedelta(days=5)
        elif today.isoweekday() == 7:  # said on Sunday: the next weekend, unless "эти"
            saturday = today + timedelta(days=-1 if mod.startswith("эт") else 6)
        else:
            saturday = cal.nearest_weekday(6, today)
        found.named += [d for d in (saturday, saturday + timedelta(days=1)) if d >= today]
    for m in s.take(_WORKDAYS):
        days = [today + timedelta(days=i) for i in range(7)]
        found.spans += [d for d in days if d.isoweekday() <= 5]
        if m["prep"] == "по":
            found.weekdays += [i for i in range(1, 6) if i not in found.weekdays]
