"""Booking for someone else (CC-6): "запишите дочку Алису, 7 лет", "хочу записать сына Мишу"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dancebot.nlu.names import name_reading, with_second

_RELATION = re.compile(
    r"\b(дочк\w*|доч(?:ь|ку|ери)|сын\w*|ребен\w*|ребён\w*|реб[её]нка|детей|мам\w*|пап\w*|"
    r"подруг\w*|друга|другу|мужа|мужу|жену|жене|сестр\w*|брат\w*|внучк\w*|внук\w*|племянниц\w*|"
    r"племянник\w*|бабушк\w*)\b",
    re.IGNORECASE,
)
_AGE = re.compile(r"\b(\d{1,2})\s*(?:лет|год|года)\b", re.IGNORECASE)
_WORD = re.compile(r"[А-ЯЁа-яё]+")


@dataclass(frozen=True, slots=True)
class Attendee:
    """Who will come to the class when it is not the person writing."""

    relation: str
    name: str | None = None
    age: int | None = None


def extract_attendee(text: str) -> Attendee | None:
    """The third party named in ``text``, or None when the client books for themselves."""
    relation = _RELATION.search(text)
    if relation is None:
        return None
    after = _WORD.findall(text[relation.end() :])[:3]
    name = None
    for index, word in enumerate(after):
        reading = name_reading(word, capitalized=True)
        if reading is not None:
            name = with_second(after, index, reading)
            break
    age = _AGE.search(text)
    return Attendee(
        relation=relation.group(1).lower(), name=name, age=int(age.group(1)) if age else None
    )
