"""The invariants every bot message to the user must keep, whatever a scenario expects
(SCENARIOS.md): length, emoji, one question, no AI self-reference, only KB prices, only
clock times the bot can justify.

Clock times (HH:MM) a message may name:

- the start or end of a class in the CRM seed's schedule rules;
- a time written anywhere in the knowledge base (opening hours, FAQ answers…);
- a time the user wrote in this or an earlier step (``19:00``, ``19.00``, ``7:30``, or a
  bare hour after в/к/с/до/после/около: "в 19", "к 7 вечера"); an hour 1–11 also stands for
  the same hour after noon ("в 7" → 07:00 and 19:00);
- a time the admin typed in an ``admin`` step (the bot relays it);
- derived: a class start minus the KB's ``late_cancel_hours`` (the last moment to cancel)
  and a class start minus 2 h (the "через 2 часа" reminder moment).

Nothing else: a time inside the opening hours is not fine just for being inside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dancebot.evaluation.emoji import count_emoji
from dancebot.kb.schema import KnowledgeBase

MAX_LENGTH = {"telegram": 300, "whatsapp": 200}
MAX_EMOJI = 2
MAX_QUESTIONS = 1
REMINDER_LEAD_MINUTES = 120

# Phrases with which a model breaks character; compared after ``_normalise``.
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
    "я бот и не могу",
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


@dataclass(frozen=True)
class Violation:
    invariant: str  # length | emoji | questions | ai_self_reference | price | time
    expected: str


@dataclass
class Allowed:
    """What a message may name: the KB's prices and the justified clock times."""

    prices: frozenset[int]
    times: set[str] = field(default_factory=set)

    def learn_from_user(self, text: str) -> None:
        self.times |= times_written_by_user(text)


def check_message(text: str, *, channel: str, allowed: Allowed) -> list[Violation]:
    """Every invariant ``text`` breaks on ``channel`` (``telegram`` | ``whatsapp``)."""
    found: list[Violation] = []
    limit = MAX_LENGTH.get(channel)
    if limit is not None and len(text) > limit:
        found.append(Violation("length", f"≤ {limit} characters on {channel}, got {len(text)}"))
    emoji = count_emoji(text)
    if emoji > MAX_EMOJI:
        found.append(Violation("emoji", f"≤ {MAX_EMOJI} emoji, got {emoji}"))
    questions = text.count("?")
    if questions > MAX_QUESTIONS:
        found.append(Violation("questions", f"≤ {MAX_QUESTIONS} '?', got {questions}"))
    phrase = ai_self_reference(text)
    if phrase:
        found.append(Violation("ai_self_reference", f"no AI self-reference, found {phrase!r}"))
    stray_prices = sorted(set(prices_in(text)) - allowed.prices)
    if stray_prices:
        found.append(Violation("price", f"only KB prices, found {stray_prices}"))
    stray_times = sorted(set(clock_times_in(text)) - allowed.times)
    if stray_times:
        found.append(Violation("time", f"only justified clock times, found {stray_times}"))
    return found


def _normalise(text: str) -> str:
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[‐-―−]", "-", text)
    return re.sub(r"\s+", " ", text)


def ai_self_reference(text: str) -> str | None:
    """The first AI self-reference phrase in ``text`` (whole words), or None."""
    normal = _normalise(text)
    for phrase in AI_SELF_REFERENCE:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", normal):
            return phrase
    return None


def prices_in(text: str) -> list[int]:
    """Amounts of money in ``text``: ``"5 600 ₽"`` is 5600."""
    return [int(re.sub(r"\D", "", m.group(1))) for m in _PRICE.finditer(text)]


def clock_times_in(text: str) -> list[str]:
    """``HH:MM`` times in a bot message, zero-padded; ``"9:30"`` is ``"09:30"``."""
    return [t for h, m in _CLOCK.findall(text) if (t := _time(int(h), int(m))) is not None]


def times_written_by_user(text: str) -> set[str]:
    """Clock times a person meant in ``text`` (see the module docstring)."""
    found: set[str] = set()
    pairs = [(int(h), int(m)) for h, m in _USER_CLOCK.findall(text)]
    pairs += [(int(h), 0) for h in _USER_HOUR.findall(text)]
    for hour, minute in pairs:
        for candidate in (hour, hour + 12) if 1 <= hour <= 11 else (hour,):
            time = _time(candidate, minute)
            if time is not None:
                found.add(time)
    return found


def studio_times(kb: KnowledgeBase, crm: Mapping[str, Any]) -> set[str]:
    """Class start/end times of the CRM seed, times in the KB text, and their derivations."""
    found: set[str] = set()
    lead_minutes = {kb.policies.late_cancel_hours * 60, REMINDER_LEAD_MINUTES}
    for rule in crm.get("schedule", []):
        begin, end = int(rule["minutesBegin"]), int(rule["minutesEnd"])
        found |= {_minutes(begin), _minutes(end)}
        found |= {_minutes(begin - lead) for lead in lead_minutes}
    for text in _strings(kb.model_dump(mode="json")):
        found |= set(clock_times_in(text))
    return found


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _minutes(total: int) -> str:
    total %= 24 * 60
    return f"{total // 60:02d}:{total % 60:02d}"


def _time(hour: int, minute: int) -> str | None:
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"
