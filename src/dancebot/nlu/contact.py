"""A client's name in free text ("Мария", "меня зовут Мария", "в 19, Мария +7 999…")."""

from __future__ import annotations

import re

from dancebot.nlu.intents import Intent, detect_intents
from dancebot.nlu.morph import first_name

_INTRO = re.compile(
    r"(?:меня зовут|зовут меня|я\s*[-—]|это|имя)\s+([А-ЯЁа-яё][а-яё]+)", re.IGNORECASE
)
_CYRILLIC_WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")


def extract_name(
    text: str, *, expecting_name: bool = False, ignore: frozenset[str] = frozenset()
) -> str | None:
    """The client's first name, or None.

    A word is taken as a name when pymorphy3 knows it as a first name, or after "меня зовут".
    When the bot has just asked for the name (``expecting_name``), a short answer of one or
    two Cyrillic words that is not a command is taken as it is ("Айгерим", "Тая").
    """
    if m := _INTRO.search(text):
        return m.group(1).capitalize()
    for word in _CYRILLIC_WORD.findall(text):
        if word.lower() in ignore:  # "хай" of "хай хилс" is a style, not the name Хая
            continue
        name = first_name(word.lower())
        if name is not None:
            return name
    if expecting_name:
        candidate = re.sub(r"[^\w\s-]", " ", text).split()
        plain_words = 1 <= len(candidate) <= 2 and all(
            _CYRILLIC_WORD.fullmatch(w) for w in candidate
        )
        if plain_words and detect_intents(text) == [Intent.UNKNOWN]:
            return " ".join(w.capitalize() for w in candidate)
    return None
