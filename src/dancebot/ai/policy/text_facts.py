"""Facts a message to a client states, read from its text: amounts of money, clock times,
AI self-reference, and the limits every message keeps (contract §11, RFC §16.2)."""

from __future__ import annotations

import re

MAX_LENGTH = {"telegram": 300, "whatsapp": 200}
MAX_EMOJI = 2
MAX_QUESTIONS = 1

# Phrases with which a model breaks character; compared after ``normalise``.
AI_SELF_REFERENCE = (
    "как ии",
    "я ии",
    "я - ии",
    "будучи ии",
    "как языковая модель",
    "я языковая модель",
    "я - языковая модель",
    "языковой модели",
    "большая языковая модель",
    "как искусственный интеллект",
    "я искусственный интеллект",
    "я - искусственный интеллект",
    "как нейросеть",
    "я нейросеть",
    "я - нейросеть",
    "я бот",
    "я - бот",
    "я чат-бот",
    "я робот",
    "я всего лишь бот",
    "я просто бот",
    "я не человек",
    "as an ai",
    "as a language model",
    "i am an ai",
    "i'm an ai",
    "language model",
)

# A price: a number (thousands may be split by spaces: "5 600") before ₽ / руб / р. / р
_PRICE = re.compile(
    r"(?<!\d)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)[ \u00a0\u202f]?(?:₽|руб|р\.|р\b)"
)
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_USER_CLOCK = re.compile(r"(?<![\d:.])(\d{1,2})[:.](\d{2})(?!\d)")
_USER_HOUR = re.compile(r"(?<!\w)(?:в|к|с|до|после|около)\s+(\d{1,2})(?!\d|[:.]\d)")


def normalise(text: str) -> str:
    """Case-folded, ё → е, every dash a hyphen, runs of whitespace one space."""
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[‐-―−]", "-", text)
    return re.sub(r"\s+", " ", text)


def ai_self_reference(text: str) -> str | None:
    """The first AI self-reference phrase in ``text`` (whole words), or None."""
    normal = normalise(text)
    for phrase in AI_SELF_REFERENCE:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", normal):
            return phrase
    return None


def prices_in(text: str) -> list[int]:
    """Amounts of money in ``text``: ``"5 600 ₽"`` is 5600."""
    return [int(re.sub(r"\D", "", m.group(1))) for m in _PRICE.finditer(text)]


def clock_times_in(text: str) -> list[str]:
    """``HH:MM`` times in a bot message, zero-padded; ``"9:30"`` is ``"09:30"``."""
    return [t for h, m in _CLOCK.findall(text) if (t := clock_time(int(h), int(m))) is not None]


def times_written_by_user(text: str) -> set[str]:
    """Clock times a person meant in ``text``: ``19:00``, ``19.00``, ``7:30``, or a bare hour
    after в/к/с/до/после/около ("в 19", "к 7 вечера"); an hour 1–11 also stands for the same
    hour after noon ("в 7" → 07:00 and 19:00)."""
    found: set[str] = set()
    pairs = [(int(h), int(m)) for h, m in _USER_CLOCK.findall(text)]
    pairs += [(int(h), 0) for h in _USER_HOUR.findall(text)]
    for hour, minute in pairs:
        for candidate in (hour, hour + 12) if 1 <= hour <= 11 else (hour,):
            time = clock_time(candidate, minute)
            if time is not None:
                found.add(time)
    return found


def clock_time(hour: int, minute: int) -> str | None:
    """``"HH:MM"``, or None when it is no time of day."""
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"
