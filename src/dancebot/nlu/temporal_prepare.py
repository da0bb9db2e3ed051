"""Text preparation for the temporal parser: one canonical spelling for every time and date.

``prepare`` lower-cases the message, hides numbers that are not dates or times (phones,
prices, ages, durations, counts, addresses), writes number words as digits ("в семь
вечера" → "в 7 вечера", "пятого марта" → "5-го марта"), and brings times to ``H:MM``
("в половине восьмого" → "в 7:30", "19 00" → "19:00", "19ч30" → "19:30"). ``Scratch``
then lets each recognizer blank out what it has read, so no number is read twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dancebot.nlu.temporal_lexicon import (
    CARDINALS,
    MONTH_GENITIVE,
    ORDINAL_ENDINGS,
    ORDINAL_STEMS,
    TENS,
    UNITS_IN_COMPOUNDS,
)
from dancebot.nlu.text import normalize

BLANK = "·"  # not a letter, digit or space: a blanked span joins nothing to its neighbours

_GLUED_PREPOSITION = re.compile(r"\b(в|во|к|до|с|со|после|около|на|по|между)(\d)")
_PHONE_RUN = re.compile(r"(?:\+\s*)?\d[\d\s\-()]{5,}\d")
_LOCAL_PHONE = re.compile(r"\d{3}-\d{2}-\d{2}")
_LONG_NUMBER = re.compile(r"\d{5,}")

_ORDINAL = "|".join(sorted(ORDINAL_STEMS, key=len, reverse=True))
_HALF_PAST = re.compile(  # "в половине восьмого", "полвосьмого", "пол 8" → 7:30
    rf"\b(?:половин[аеуы]\s+|пол-?\s*)(?:(?P<w>{_ORDINAL})(?:ого|ьего)|(?P<d>\d{{1,2}})(?:-?го)?)\b"
)
_ORDINAL_WORD = re.compile(
    rf"\b(?:(?P<tens>двадцать|тридцать)\s+)?(?P<stem>{_ORDINAL}){ORDINAL_ENDINGS}\b"
)
_ORDINAL_CONTEXT_AFTER = re.compile(
    rf"\s*(?:$|[,.!?;)]|\s(?:{MONTH_GENITIVE}|числ\w*|в|во|к|вечером|утром|дн[её]м|или|и)\b)"
)
_ORDINAL_CONTEXT_BEFORE = re.compile(r"\b(?:на|к|ко|до|с|со|после|по)\s+$|^\s*$")
_MONTH_AFTER = re.compile(rf"\s+(?:{MONTH_GENITIVE}|числ)")
_END = re.compile(r"\s*(?:$|[,.!?;)])")
_UNITS = "|".join(sorted(UNITS_IN_COMPOUNDS, key=len, reverse=True))
_COMPOUND = re.compile(rf"\b(?P<tens>{'|'.join(TENS)})\s+(?P<unit>{_UNITS})\b")
_CARDINAL = re.compile(rf"\b(?:{'|'.join(sorted(CARDINALS, key=len, reverse=True))})\b")
_ONE_OCLOCK = re.compile(r"\b(в|к|до|после|с|около)\s+час[уа]?\b")
_TO_THE_HOUR = re.compile(r"\bбез\s+(?P<m>четверти|\d{1,2})(?:\s*мин\w*)?\s+(?P<h>\d{1,2})\b")
_HOURS_MINUTES = re.compile(
    r"\b(?P<h>\d{1,2})\s*(?:час(?:а|ов)?|ч)\.?\s*(?P<m>\d{1,2})(?:\s*(?:минут\w*|мин)\b\.?)?"
)
_SPACED_CLOCK = re.compile(
    rf"\b(?P<h>[01]?\d|2[0-3])(?:\s|-)(?P<m>[0-5]\d)\b(?![.:/]?\d|\s*{MONTH_GENITIVE})"
)

_QUANTITY = re.compile(
    r"(?<![\d:.])\d+(?:[.,]\d+)?(?:\s*-\s*\d+)?(?:-?(?:е|й|я|го|ое|ый|ий))?\s*(?:₽|\$|€|р\b\.?|руб\w*|тыс\w*|т\.р|лет\b|годик\w*|"
    r"мин\w*|сек\w*|человек\w*|чел\b|заняти\w*|урок\w*|тренировк\w*|раз\b|раза\b|шт\w*|%|"
    r"процент\w*|кг\b|см\b|км\b|метр\w*|этаж\w*|класс\w*|мест\w*|зал\w*|групп\w*|абонемент\w*|"
    r"ребен\w*|дет\w*|взросл\w*|девоч\w*|мальчик\w*|подруг\w*|друз\w*)"
    r"|\b\d{1,2}\s*(?:год|года)\b|\b\d+к\b|\b\d+[.,]\d+\s*час\w*"
    r"|\bмин\w*\.?\s+(?:на\s+|через\s+)?\d+(?:\s*-\s*\d+)?"  # "минут на 10"
    r"|\b(?:на|за|через)\s+\d+(?:[.,]\d+)?\s*час(?:а|ов)?\b(?!\s*(?:утра|дня|вечера|ночи))"
    r"|\b(?:дом|д\.|кв\.?|квартира|корпус|корп\.?|офис|каб\.?|кабинет|№|номер)\s*\d+"
    r"|\b\d+-?(?:й|м|я|ю|ий|ый|ой)\b"
)


def prepare(text: str, *, mask: bool = True) -> str:
    """The canonical form of ``text`` (see the module docstring). ``mask=False`` keeps
    counts and durations ("8 занятий") readable for the callers that want them."""
    t = normalize(text).replace("после завтра", "послезавтра")
    t = _GLUED_PREPOSITION.sub(r"\1 \2", t)
    t = _mask_phones(t)
    t = _HALF_PAST.sub(_half_past, t)
    t = _ORDINAL_WORD.sub(_ordinal, t)
    t = numbers_as_digits(t)
    t = _ONE_OCLOCK.sub(r"\1 1 ч", t)
    t = _TO_THE_HOUR.sub(_to_the_hour, t)
    t = _HOURS_MINUTES.sub(_clock, t)
    t = _SPACED_CLOCK.sub(_spaced_clock, t)
    return _QUANTITY.sub(BLANK, t) if mask else t


def numbers_as_digits(t: str) -> str:
    """Cardinal number words in normalised text written as digits ("двадцать пять" → "25")."""
    t = _COMPOUND.sub(lambda m: str(CARDINALS[m["tens"]] + UNITS_IN_COMPOUNDS[m["unit"]]), t)
    return _CARDINAL.sub(lambda m: str(CARDINALS[m.group(0)]), t)


def _mask_phones(t: str) -> str:
    def replace(m: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        if digits >= 10 or (digits >= 7 and _LOCAL_PHONE.search(m.group(0))):
            return f" {BLANK} "
        return m.group(0)

    return _LONG_NUMBER.sub(BLANK, _PHONE_RUN.sub(replace, t))


def _half_past(m: re.Match[str]) -> str:
    hour = ORDINAL_STEMS[m["w"]] if m["w"] else int(m["d"])
    if not 1 <= hour <= 12:
        return m.group(0)
    return f"{(hour - 1) or 12}:30"  # "половина первого" is 12:30


def _ordinal(m: re.Match[str]) -> str:
    """Ordinal words become "N-го" only where they name a day of the month."""
    before = m.string[: m.start()]
    after = m.string[m.end() :]
    names_month = _MONTH_AFTER.match(after) is not None
    standalone = _ORDINAL_CONTEXT_AFTER.match(after) is not None and (
        _ORDINAL_CONTEXT_BEFORE.search(before) is not None or _END.match(after) is not None
    )
    if not (names_month or standalone):
        return m.group(0)
    number = ORDINAL_STEMS[m["stem"]] + (CARDINALS[m["tens"]] if m["tens"] else 0)
    return f"{number}-го"


def _to_the_hour(m: re.Match[str]) -> str:
    minutes = 15 if m["m"] == "четверти" else int(m["m"])
    hour = int(m["h"])
    if not (1 <= minutes <= 30 and 1 <= hour <= 12):
        return m.group(0)
    return f"{(hour - 1) or 12}:{60 - minutes:02d}"


def _clock(m: re.Match[str]) -> str:
    hour, minutes = int(m["h"]), int(m["m"])
    if hour > 23 or minutes > 59:
        return m.group(0)
    return f"{hour}:{minutes:02d}"


def _spaced_clock(m: re.Match[str]) -> str:
    """ "19 00" and "19-30" are times; "18-20" is a range of hours and stays as it is."""
    hour, minutes = int(m["h"]), int(m["m"])
    if minutes >= 24 or m["m"] == "00" or (minutes <= hour and minutes % 5 == 0):
        return f"{hour}:{m['m']}"
    return m.group(0)


class Scratch:
    """The prepared text; recognizers blank out the spans they have read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` in the text as it is now (blanking one keeps the rest)."""
        yield from pattern.finditer(self.text)

    def blank(self, m: re.Match[str]) -> None:
        start, end = m.span()
        self.text = self.text[:start] + BLANK * (end - start) + self.text[end:]

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match of ``pattern``, each blanked out."""
        found = list(pattern.finditer(self.text))
        for m in found:
            self.blank(m)
        return found

    def has(self, pattern: re.Pattern[str]) -> bool:
        return pattern.search(self.text) is not None
