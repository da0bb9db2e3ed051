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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dancebot.ai.policy.emoji import count_emoji
from dancebot.ai.policy.text_facts import (
    MAX_EMOJI,
    MAX_LENGTH,
    MAX_QUESTIONS,
    ai_self_reference,
    clock_times_in,
    prices_in,
    times_written_by_user,
)
from dancebot.kb.schema import KnowledgeBase

REMINDER_LEAD_MINUTES = 120


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
