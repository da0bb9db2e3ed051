"""Pointers at something the bot listed: "вторую", "первый вариант", "последнюю", "2".

``ordinal`` reads a position in a list the client sees (1-based; -1 = the last one);
``latest_made`` reads "мою последнюю запись" (the booking made most recently). Neither knows
what the list holds: the dialogue manager resolves them against what it showed.
"""

from __future__ import annotations

import re

_ORDINALS: dict[str, int] = {
    "перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6,
    "последн": -1, "крайн": -1,
}  # fmt: skip
_ORDINAL_WORD = re.compile(
    r"\b(перв|втор|трет|четверт|пят|шест|последн|крайн)(?:ый|ой|ая|ую|ое|ий|ья|ье|ью|юю|ее|яя|его|ей|ые|ие|им|их)\b"
)
_NUMBERED = re.compile(
    r"(?:^|\b(?:номер|вариант|№)\s*)(\d)\b|^\W*(\d)\W*$|\b(\d)(?:-?(?:й|я|ю|е|ое|ой))\b"
)
_LEADING_DIGIT = re.compile(r"\W*(\d)(?![\d:.])(?:\W|$)")
_OPTION_NOUN = re.compile(r"\b(?:вариант|занятие|запись|урок|групп|номер|тот|та|ту|то|эт)\w*")
_LATEST_MADE = re.compile(
    r"\bпоследн\w* (?:мою |свою )?(?:запис|бронь)\w*|\b(?:мою |свою )?запись,? котор\w* (?:я )?"
    r"(?:только что|сейчас|недавно) (?:сделал\w*|оформил\w*)|\bтолько что (?:записал\w*|оформил\w*)"
)
_EVERY = re.compile(
    r"\bвсе (?:мои |свои )?(?:запис|брон|заняти)\w*|\bотовсюду\b"
    r"|^\W*(?:обе|оба|все)\W*$|\bобе запис"
)
_SPECIFIC_DAY_WORD = re.compile(r"\b\d{1,2}[.:]\d{2}\b")


def ordinal(folded: str, *, bare_numbers: bool = True) -> int | None:
    """The position pointed at ("вторую" → 2, "последний вариант" → -1, "2" → 2), or None.

    ``bare_numbers``: a lone digit counts (the bot has just shown a numbered list). A clock
    time ("в 19:00") is never a position.
    """
    m = _ORDINAL_WORD.search(folded)
    if m is not None and not _LATEST_MADE.search(folded):
        return _ORDINALS[m.group(1)]
    if not bare_numbers:
        return None
    text = _SPECIFIC_DAY_WORD.sub(" ", folded)
    lead = _LEADING_DIGIT.match(text)  # "2, Оля 8914…" (the phone already taken out)
    if lead is not None:
        return int(lead.group(1)) or None
    n = _NUMBERED.search(text)
    if n is None:
        return None
    digit = next(g for g in n.groups() if g)
    return int(digit) if digit != "0" else None


def latest_made(folded: str) -> bool:
    """ "отмените мою последнюю запись": the booking made most recently."""
    return _LATEST_MADE.search(folded) is not None


def every(folded: str) -> bool:
    """ "отмените все мои записи"."""
    return _EVERY.search(folded) is not None


def names_an_option(folded: str) -> bool:
    """The message speaks of an option/booking as a thing ("тот", "вариант", "запись")."""
    return _OPTION_NOUN.search(folded) is not None
