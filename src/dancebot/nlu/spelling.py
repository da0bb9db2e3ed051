"""Typos and Latin typing, mended before a message is read: "хачу на растижку в васкресенье",
"kontemp v sredu mozhno".

Only words the dictionary does not know are touched, and only towards the words a booking
chat is made of: days, months, parts of the day, the few verbs and nouns of booking, prices
and schedules — and the studio's own style names and aliases (from the KB). A word is
replaced when exactly one such word is within one edit (two for long words), so real words
and names are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from dancebot.kb.morphology import is_dictionary_word

_LATIN_WORD = re.compile(r"[a-z]+")
_DIMINUTIVE = re.compile(r"[еоа]чк(?=[аиуеыо]\w{0,2}$)")
_WORD = re.compile(r"[а-яё]+|[a-z]+")
_TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"),
    ("ts", "ц"), ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("ye", "е"), ("iy", "ий"),
    ("ee", "и"), ("oo", "у"), ("ph", "ф"), ("th", "т"), ("a", "а"), ("b", "б"), ("c", "к"),
    ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("j", "дж"),
    ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"),
    ("y", "ы"), ("z", "з"),
)  # fmt: skip

# the words of a booking chat (folded); style names and aliases come from the KB
CHAT_WORDS: frozenset[str] = frozenset(
    [
        "понедельник",
        "понедельника",
        "понедельнику",
        "вторник",
        "вторника",
        "вторнику",
        "среда",
        "среду",
        "среды",
        "четверг",
        "четверга",
        "четвергу",
        "пятница",
        "пятницу",
        "пятницы",
        "суббота",
        "субботу",
        "субботы",
        "воскресенье",
        "воскресенья",
        "воскресенью",
        "выходные",
        "выходных",
        "будни",
        "будням",
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
        "сегодня",
        "завтра",
        "послезавтра",
        "утром",
        "вечером",
        "днем",
        "вечера",
        "утра",
        "обеда",
        "после",
        "через",
        "неделе",
        "неделю",
        "следующей",
        "следующую",
        "следующий",
        "ближайшую",
        "ближайший",
        "ближайшее",
        "хочу",
        "хотим",
        "хотела",
        "хотел",
        "можно",
        "нельзя",
        "запишите",
        "запиши",
        "записаться",
        "записать",
        "запишусь",
        "записывайте",
        "запись",
        "записи",
        "записан",
        "записана",
        "отменить",
        "отмените",
        "отмена",
        "отменяю",
        "перенести",
        "перенесите",
        "перенос",
        "поменять",
        "занятие",
        "занятия",
        "занятий",
        "урок",
        "уроки",
        "тренировка",
        "тренировку",
        "группа",
        "группу",
        "абонемент",
        "абонемента",
        "пробное",
        "пробный",
        "разовое",
        "разового",
        "сколько",
        "стоит",
        "стоимость",
        "цена",
        "цены",
        "расписание",
        "расписания",
        "свободные",
        "свободно",
        "места",
        "место",
        "администратор",
        "админ",
        "спасибо",
        "здравствуйте",
        "привет",
        "пожалуйста",
        "подскажите",
        "скажите",
        "опаздываю",
        "опоздаю",
        "задерживаюсь",
        "сейчас",
        "потом",
        "тогда",
        "давайте",
        "конечно",
        "хорошо",
        "отлично",
        "адрес",
        "парковка",
        "добраться",
        "находитесь",
        "начинающих",
        "новичок",
        "новичков",
        "преподаватель",
        "тренер",
        "детей",
        "ребенка",
        "дочку",
        "сына",
    ]
)


def latin_share(text: str) -> float:
    letters = [c for c in text.lower() if c.isalpha()]
    if not letters:
        return 0.0
    return sum("a" <= c <= "z" for c in letters) / len(letters)


def transliterate(text: str) -> str:
    """Latin letters read as Russian typed on a Latin keyboard ("v sredu" → "в среду")."""

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        for latin, cyrillic in _TRANSLIT:
            word = word.replace(latin, cyrillic)
        return word

    return _LATIN_WORD.sub(one, text)


class Speller:
    """Mends unknown words towards the chat vocabulary and the KB's style words."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._vocabulary = tuple(sorted(CHAT_WORDS | {w for w in extra if len(w) >= 4}))
        self._by_length: dict[int, list[str]] = {}
        for word in self._vocabulary:
            self._by_length.setdefault(len(word), []).append(word)

    def fix(self, folded: str) -> str:
        """``folded`` (lower case) with its unknown words mended; Latin-typed Russian is
        transliterated first when most of the letters are Latin."""
        if latin_share(folded) > 0.5:
            folded = transliterate(folded)
        return _WORD.sub(lambda m: self._word(m.group(0)), folded)

    def _word(self, word: str) -> str:
        if len(word) < 4 or word in CHAT_WORDS or not ("а" <= word[0] <= "я" or word[0] == "ё"):
            return word
        return self._mend(word)

    @lru_cache(maxsize=20_000)  # noqa: B019 - one Speller per KB, words repeat
    def _mend(self, word: str) -> str:
        if is_dictionary_word(word):
            return word
        plain = _DIMINUTIVE.sub("к", word)  # "растяжечку" → "растяжку"
        if plain != word and (is_dictionary_word(plain) or plain in self._vocabulary):
            return plain
        limit = 1 if len(word) < 8 else 2
        best: list[tuple[int, str]] = []
        for size in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self._by_length.get(size, ()):
                distance = Levenshtein.distance(word, candidate, score_cutoff=limit)
                if distance <= limit:
                    best.append((distance, candidate))
        if not best:
            return word
        best.sort()
        if len(best) > 1 and best[0][0] == best[1][0]:
            return word  # two words as near: leave it as typed
        return best[0][1]
