"""People's names in a message, kept as the client wrote them ("Ника" stays "Ника").

A word is a name when pymorphy3 knows it as a first name in the nominative (a name written
in another case, "Марию", is put back in the nominative), when it follows an introduction
("меня зовут …", "я …", "это …", "имя: …"), or — when the bot has just asked for the name —
when the answer is one or two plain words that say nothing else. Verbs, dance styles and
words the rest of the message already explains (days, months, cue words) are never names.
A patronymic or surname written right after the first name is kept with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from dancebot.kb.morphology import morph_analyzer

_WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")
_INTRO = re.compile(
    r"\b(?:меня зовут|зовут меня|зовут|мое имя|моё имя|имя(?:\s+клиента)?|я\s*[-—]?|это|на имя)"
    r"\s*[:\-—]?\s+([А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?)",
    re.IGNORECASE,
)
_INTRO_AROUND = re.compile(r"\bменя\s+([А-ЯЁа-яё]+)\s+зовут\b", re.IGNORECASE)  # "меня Ника зовут"
_NOT_SPEAKER = frozenset({"к", "ко", "у", "от", "для", "про", "о", "об", "с", "со", "без"})
NAME_MIN_SCORE = 0.1  # "Ника" (Ника 0.1 / Ник 0.5): a nominative name reading is enough
_NOT_NAME_POS = frozenset({"VERB", "INFN", "PRTF", "PRTS", "GRND", "ADVB", "PREP", "CONJ", "PRCL"})
_NOT_NAMES = frozenset(
    {
        "да", "нет", "ок", "привет", "спасибо", "здравствуйте", "хорошо", "давайте", "можно",
        "запишите", "хочу", "мама", "папа", "дочка", "сын", "подруга", "друг",
        "сегодня", "завтра", "послезавтра", "утром", "вечером", "днем", "клиент", "имя",
        "тоже", "тут", "здесь", "администратор", "номер", "телефон", "занятие", "запись",
        "группа", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
        "понедельник", "любовь", "надежда", "вера", "роза", "слава", "мир", "майя", "лилия",
    }
)  # fmt: skip


@lru_cache(maxsize=50_000)
def _analyses(word: str) -> tuple[tuple[str, str, float, frozenset[str]], ...]:
    return tuple(
        (
            str(p.tag.POS),
            str(p.normal_form),
            float(p.score),
            frozenset(str(p.tag).replace(" ", ",").split(",")),
        )
        for p in morph_analyzer().parse(word)
    )


def name_reading(word: str, *, capitalized: bool = False) -> str | None:
    """The word as a first name (nominative, capitalised), or None."""
    lower = word.lower()
    if lower in _NOT_NAMES and not capitalized:
        return None
    parses = _analyses(lower)
    if not parses or not morph_analyzer().word_is_known(lower):
        return None
    if parses[0][0] in _NOT_NAME_POS and parses[0][2] >= 0.5:
        return None
    names = [p for p in parses if "Name" in p[3]]
    floor = 0.0 if capitalized else NAME_MIN_SCORE
    nominative = [p for p in names if "nomn" in p[3] and p[2] >= floor]
    if nominative:
        return word[:1].upper() + word[1:].lower()
    oblique = [p for p in names if p[2] >= 0.25]
    if oblique:
        return oblique[0][1][:1].upper() + oblique[0][1][1:]
    return None


def _plain_word(word: str) -> bool:
    """A word that could be a name nobody's dictionary knows ("Айгерим"): not a verb, not a
    preposition or conjunction, not a common word in the list above."""
    lower = word.lower()
    if lower in _NOT_NAMES or len(lower) < 2:
        return False
    parses = _analyses(lower)
    if not parses:
        return True
    top_pos = parses[0][0]
    return top_pos not in _NOT_NAME_POS and top_pos not in {"NPRO", "NUMR", "ADJF", "ADJS", "COMP"}


def with_second(words: list[str], index: int, first: str) -> str:
    """ "Ольга Петровна", "Анна Смирнова": keep the patronymic or surname written next."""
    if index + 1 < len(words):
        nxt = words[index + 1]
        tags = [p[3] for p in _analyses(nxt.lower()) if p[2] >= 0.05]
        if any(("Patr" in t or "Surn" in t) and "nomn" in t for t in tags):
            return f"{first} {nxt[:1].upper()}{nxt[1:].lower()}"
    return first


def find_name(
    text: str,
    *,
    expecting: bool = False,
    ignore: frozenset[str] = frozenset(),
    quiet: bool = True,
    contact: bool = False,
) -> str | None:
    """The client's name in ``text``, or None.

    ``ignore``: folded words that are something else here (style aliases, the attendee's
    name, day words). ``expecting``: the bot has just asked for the name. ``quiet``: the rest
    of the message asks for nothing (so a bare unknown word may be the name). ``contact``: the
    message carries contact details or the bot is collecting them, so a name is likely.
    """
    introduced = _introduced(text, ignore)
    if introduced is not None:
        return introduced
    words = _WORD.findall(text)
    if not expecting and not contact:
        # outside a question about the name, a word is a name only when it stands out:
        # capitalised in the middle of the text ("хочу на контемп, Аня")
        return _first_name(words, ignore, lambda i, w: i > 0 and w[:1].isupper(), strict=False)
    if expecting and 1 <= len(words) <= 3:  # the answer to "Как вас зовут?": "Вера", "вика"
        found = _first_name(words, ignore, lambda i, w: True, strict=False)
        if found is not None:
            return found
    found = _first_name(words, ignore, lambda i, w: True, strict=True)
    if found is not None:
        return found
    if expecting and quiet:
        plain = [w for w in words if w.lower() not in ignore]
        if 1 <= len(plain) <= 2 and len(plain) == len(words) and all(_plain_word(w) for w in plain):
            return " ".join(w[:1].upper() + w[1:].lower() for w in plain)
    return None


def _introduced(text: str, ignore: frozenset[str]) -> str | None:
    """ "меня зовут Ника", "я Аня", "имя: Екатерина", "меня Ника зовут"."""
    around = _INTRO_AROUND.search(text)
    if around is not None and around.group(1).lower() not in ignore:
        word = around.group(1)
        return name_reading(word, capitalized=True) or word[:1].upper() + word[1:].lower()
    for m in _INTRO.finditer(text):
        candidate = m.group(1)
        if candidate.lower() in ignore:
            continue
        reading = name_reading(candidate, capitalized=True)
        said_name = m.group(0).lower().startswith(("меня", "зовут", "мое", "моё", "имя", "на имя"))
        if reading is None and said_name and _plain_word(candidate):
            reading = candidate[:1].upper() + candidate[1:].lower()
        if reading is not None:
            return with_second(_WORD.findall(text[m.start(1) :]), 0, reading)
    return None


def _first_name(
    words: list[str],
    ignore: frozenset[str],
    allowed: Callable[[int, str], bool],
    *,
    strict: bool,
) -> str | None:
    """The first word that reads as a first name (``strict``: as the dictionary's likely
    reading; otherwise any nominative name reading, as when the word is capitalised)."""
    for index, word in enumerate(words):
        if word.lower() in ignore or not allowed(index, word):
            continue
        if index > 0 and words[index - 1].lower() in _NOT_SPEAKER:
            continue  # "к Дмитрию", "у Ольги", "для Маши": someone else
        capitalized = (word[:1].isupper() and index > 0) if strict else True
        reading = name_reading(word, capitalized=capitalized)
        if reading is not None:
            return with_second(words, index, reading)
    return None
