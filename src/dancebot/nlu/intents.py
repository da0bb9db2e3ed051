"""Intent taxonomy (RFC §8.1) with its priorities, recognised from Russian keywords.

Several intents may match one message; ``detect_intents`` returns them highest priority first.
Lexicons are lemma stems or phrases; they are data, kept together here.
"""

from __future__ import annotations

import re
from enum import StrEnum

from dancebot.nlu.text import normalize


class Intent(StrEnum):
    ADMIN = "admin"
    BOOKING = "booking"
    CANCEL = "cancel"
    SCHEDULE = "schedule"
    PRICE = "price"
    INFO = "info"
    LATENESS = "lateness"
    GREETING = "greeting"
    PRESENCE = "presence"  # "вы тут?", "алло" (CC-17)
    THANKS = "thanks"
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


PRIORITY: dict[Intent, int] = {
    Intent.ADMIN: 1,
    Intent.CANCEL: 1,
    Intent.BOOKING: 1,
    Intent.SCHEDULE: 2,
    Intent.PRICE: 2,
    Intent.INFO: 3,
    Intent.LATENESS: 3,
    Intent.GREETING: 4,
    Intent.PRESENCE: 4,
    Intent.THANKS: 5,
    Intent.YES: 5,
    Intent.NO: 5,
    Intent.UNKNOWN: 9,
}

_PATTERNS: dict[Intent, tuple[str, ...]] = {
    Intent.ADMIN: (
        r"администратор", r"админ\b", r"\bчеловек", r"\bменеджер", r"живым",
        r"позов", r"жалоб", r"пожаловать", r"претензи",
    ),
    Intent.CANCEL: (r"отмен", r"не приду", r"не смогу прийти", r"перенес", r"перенос"),
    Intent.BOOKING: (
        r"запиш", r"записат", r"записа", r"\bзапись\b", r"хочу на\b", r"хочу в\b",
        r"хочу прийти", r"хочу заниматься", r"можно на\b", r"есть (?:ли )?(?:свободн\w* )?мест",
        r"свободн\w* мест", r"попасть на", r"позаним", r"хочу (?:к вам|заниматься)",
    ),
    Intent.SCHEDULE: (
        r"расписани", r"когда (?:занят|урок|трениров|будет|у вас)", r"во сколько",
        r"что (?:есть|будет|у вас|идет|проходит)\b.*\b(?:в|во|на|завтра|сегодня)\b",
        r"какие (?:есть )?занятия", r"что по занятиям",
        r"какие дни", r"по каким дням",
    ),
    Intent.PRICE: (
        r"сколько (?:будет )?сто(?:ит|ят|ить)", r"скок\w* сто",
        r"\bцен(?:а|ы|у|е|ой|ам|ах|ами|ник\w*)?\b",
        r"стоимост", r"прайс", r"почем", r"по чем", r"сколько (?:будет|за) (?:пробн|разов|абон)",
        r"(?:пробн|разов)\w* (?:заняти\w* )?(?:по|на|в) .* сколько",
    ),
    Intent.INFO: (
        r"направлени", r"какие (?:есть )?танц", r"какие (?:у вас )?(?:есть )?стил",
        r"кто\b.*\b(?:ведет|преподает|тренирует|тренер)", r"\bлучш(?:е|ий|ая|ее|их)\b",
        r"преподавател", r"тренер", r"где (?:вы|находит)", r"адрес",
    ),
    Intent.LATENESS: (r"опаздыва", r"опоздаю", r"задерживаюсь", r"задержусь"),
    Intent.GREETING: (
        r"^(?:привет|здравствуй|добрый (?:день|вечер)|доброе утро|добрый|хай|hello|hi)\b",
    ),
    Intent.THANKS: (r"^(?:спасибо|спс|благодарю|отлично|супер|класс|понятно|ясно)\b",),
    Intent.PRESENCE: (
        r"^(?:вы|ты) (?:тут|здесь)\b", r"^(?:алло|ау+|эй)\b", r"^есть кто", r"^кто-нибудь",
    ),
    Intent.YES: (
        r"^(?:да|ага|угу|верно|конечно|ок|окей|ok|давайте|давай|записывайте|подтверждаю|yes|"
        r"актуально|все верно|именно|точно|отменяйте|отмените|\+)\b(?!.*\bне(?:т)?\b)",
        r"^(?:да|все|всё)\W*(?:все|всё)?\W*верно",
    ),
    Intent.NO: (r"^(?:нет|неа|не надо|не верно|неверно|не нужно|не актуально|no)\b",),
}  # fmt: skip

_COMPILED = {intent: [re.compile(p) for p in pats] for intent, pats in _PATTERNS.items()}


def detect_intents(text: str) -> list[Intent]:
    """All intents the text shows, highest priority first; ``[UNKNOWN]`` when none."""
    t = normalize(text)
    found = [intent for intent, pats in _COMPILED.items() if any(p.search(t) for p in pats)]
    found.sort(key=PRIORITY.__getitem__)
    return found or [Intent.UNKNOWN]


_DECLINE = re.compile(
    r"\b(?:не надо|не нужно|передумал\w*|не буду|отбой|не актуально|неактуально|в другой раз|"
    r"не хочу|не записывайте|отмена)\b"
)


def is_decline(text: str) -> bool:
    """The client drops what the bot is collecting ("тогда не надо", "передумала")."""
    return _DECLINE.search(normalize(text)) is not None


def is_yes(text: str) -> bool:
    return Intent.YES in detect_intents(text)


def is_no(text: str) -> bool:
    return Intent.NO in detect_intents(text)
