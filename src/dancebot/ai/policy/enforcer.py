"""The policy enforcer (DESIGN §5, contract §11): may an LLM's candidate reply reach a client?

Pure. ``check_reply(candidate, grounding)`` lists every rule the candidate breaks; the
phraser sends it only when the list is empty, else the code-built text goes out. The
``Grounding`` is what the candidate may rest on: the code-built text it rewrites (or the KB
snippets it answers from), which already carries every fact a tool call produced this turn,
plus the KB's prices and teachers and the clock times the engine allows.

Rules (the names are the ``rule`` label of ``dancebot_llm_enforcer_rejections_total``):

- ``empty``: nothing to send;
- ``length``: Telegram 300 / WhatsApp 200 characters (RFC §16.2);
- ``emoji``: at most the KB tone's emoji, never more than 2;
- ``questions``: at most one question mark;
- ``ai_self_reference``: "я бот", "как ИИ", "языковая модель" …;
- ``price``: every amount of money is a KB price;
- ``time``: every clock time ("19:00", "в 21") is allowed or in the grounding text;
- ``number``: every other number is in the grounding text ("осталось 3 места");
- ``teacher``: a name after a teacher word ("преподаватель Жанна") is a KB teacher or is in
  the grounding text;
- ``name``: any other proper name mid-sentence is known (KB, grounding, the client's name);
- ``comparison``: no comparative judgement ("лучше", "опытнее" …) next to a teacher;
- ``booking_fact``: a booking/availability claim ("записала", "есть места") only when the
  grounding text makes one, i.e. a tool call this turn produced it;
- ``date``: weekdays and calendar dates only as in the grounding text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from dancebot.ai.policy.emoji import count_emoji
from dancebot.ai.policy.text_facts import (
    MAX_EMOJI,
    MAX_LENGTH,
    MAX_QUESTIONS,
    ai_self_reference,
    clock_time,
    clock_times_in,
    normalise,
    prices_in,
    times_written_by_user,
)

RULES = (
    "empty",
    "dropped_fact",
    "length",
    "emoji",
    "questions",
    "ai_self_reference",
    "price",
    "time",
    "number",
    "teacher",
    "name",
    "comparison",
    "booking_fact",
    "date",
)

_TEACHER_WORD = re.compile(
    r"(?:преподавател\w*|педагог\w*|тренер\w*|хореограф\w*|ведет|ведёт|ведут|ведущ\w*|у)"
    r"\s+([А-ЯЁA-Z][а-яёa-z]+)"
)
_PROPER = re.compile(r"[А-ЯЁA-Z][а-яёa-z]{2,}")
# capitalised out of politeness, not names
_POLITE = re.compile(r"(?:вы|вас|вам|вами|ваш\w*)", re.IGNORECASE)
_TEACHER_NOUN = re.compile(r"преподава|педагог|тренер|хореограф")
_COMPARISON = re.compile(
    r"(?<!\w)(?:лучше|лучш(?:ий|ая|ее|ие|его|ей)|хуже|худш\w*|сильнее|слабее|опытнее|круче|"
    r"профессиональнее|талантливее|интереснее|самы[йеx] опытн\w*|сам(?:ая|ое) опытн\w*|"
    r"номер один)(?!\w)"
)
_BOOKING_CLAIM = re.compile(
    r"записал|записан|забронир|бронь|подтвердил|подтвержд|свободн\w* мест|есть мест|"
    r"мест[ао]? есть|мест[ао]? нет|нет мест|осталос\w* \d|отменил|отменен|перенесл|перенес[её]н"
)
_WEEKDAY = re.compile(
    r"понедельник\w*|вторник\w*|сред[аеуы]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*"
)
_MONTHS = "январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр"  # stems
_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s+(?:{_MONTHS})\w*|(?<![\d.])\d{{1,2}}\.\d{{2}}(?!\d)")
_NUMBER = re.compile(r"(?<![\d:.])\d+(?![\d:])")
_BARE_HOUR = re.compile(r"(?<!\w)(?:в|к|с|до|после|около)\s+(\d{1,2})(?!\d|[:.]\d)")


@dataclass(frozen=True, slots=True)
class Grounding:
    """What a candidate reply may rest on.

    ``source``: the code-built reply it rewrites, or the snippets it answers from.
    ``prices``: the KB's prices. ``times``: clock times the engine allows ("HH:MM").
    ``known_names``: names that may appear (KB teachers, studio, services, the client).
    ``teacher_names``: the KB's teachers (for the comparison rule).
    """

    channel: str
    source: str
    prices: frozenset[int]
    times: frozenset[str] = frozenset()
    known_names: frozenset[str] = frozenset()
    teacher_names: frozenset[str] = frozenset()
    max_emoji: int = MAX_EMOJI
    keep: str | None = None  # a rewrite must keep this text's facts (its numbers, names, question)


@dataclass(frozen=True, slots=True)
class Rejection:
    rule: str  # one of RULES
    detail: str


def check_reply(candidate: str, grounding: Grounding) -> list[Rejection]:
    """Every rule ``candidate`` breaks (empty: it may be sent)."""
    if not candidate.strip():
        return [Rejection("empty", "the candidate is blank")]
    found = _form(candidate, grounding)
    found += _kept(candidate, grounding)
    found += _money_and_time(candidate, grounding)
    found += _names(candidate, grounding)
    found += _claims(candidate, grounding)
    return found


_DIGITS = re.compile(r"\d+")
KEEP_SHARE = 0.4  # a rewrite keeps at least this share of the original's content words
_PROPER = re.compile(r"(?<=[\w,;:] )[A-ZА-ЯЁ][\w-]+")


def _kept(text: str, grounding: Grounding) -> list[Rejection]:
    """A rewrite says everything the code-built text said: every number (times, dates,
    prices, the address), every name written mid-sentence, and its question, if it asked."""
    if grounding.keep is None:
        return []
    original = grounding.keep
    missing = [d for d in _DIGITS.findall(original) if d not in _DIGITS.findall(text)]
    stems = {_stem(w) for w in _words(text)}
    missing += [
        w for w in _PROPER.findall(original) if any(_stem(p) not in stems for p in _words(w))
    ]
    if "?" in original and "?" not in text:
        missing.append("?")
    meant = {_stem(w) for w in re.findall(r"\w{4,}", original) if not w.isdigit()}
    if meant and len(meant & stems) < KEEP_SHARE * len(meant):
        missing.append(f"{len(meant & stems)}/{len(meant)} words")
    if missing:
        return [Rejection("dropped_fact", ", ".join(missing[:5]))]
    return []


def _form(text: str, grounding: Grounding) -> list[Rejection]:
    found: list[Rejection] = []
    limit = MAX_LENGTH.get(grounding.channel)
    if limit is not None and len(text) > limit:
        found.append(Rejection("length", f"{len(text)} > {limit} on {grounding.channel}"))
    emoji, allowed = count_emoji(text), min(grounding.max_emoji, MAX_EMOJI)
    if emoji > allowed:
        found.append(Rejection("emoji", f"{emoji} > {allowed}"))
    if text.count("?") > MAX_QUESTIONS:
        found.append(Rejection("questions", f"{text.count('?')} question marks"))
    phrase = ai_self_reference(text)
    if phrase:
        found.append(Rejection("ai_self_reference", phrase))
    return found


def _money_and_time(text: str, grounding: Grounding) -> list[Rejection]:
    found: list[Rejection] = []
    stray_prices = sorted(set(prices_in(text)) - grounding.prices)
    if stray_prices:
        found.append(Rejection("price", f"not in the KB: {stray_prices}"))
    allowed = grounding.times | set(clock_times_in(grounding.source))
    allowed |= times_written_by_user(grounding.source)
    stray_times = sorted(set(clock_times_in(text)) - allowed)
    stray_times += [
        f"в {hour}" for hour in _BARE_HOUR.findall(text) if not _hour_allowed(int(hour), allowed)
    ]
    if stray_times:
        found.append(Rejection("time", f"not allowed: {stray_times}"))
    source_numbers = set(_NUMBER.findall(_digits_only(grounding.source)))
    source_numbers |= {str(p) for p in grounding.prices}
    stray_numbers = sorted(set(_NUMBER.findall(_plain_numbers(text))) - source_numbers)
    if stray_numbers:
        found.append(Rejection("number", f"not in the grounding: {stray_numbers}"))
    return found


def _hour_allowed(hour: int, allowed: AbstractSet[str]) -> bool:
    readings = {clock_time(hour, 0), clock_time(hour + 12, 0) if hour <= 11 else None}
    return bool(readings & allowed)


def _digits_only(text: str) -> str:
    # "5 600" is one number, as prices_in reads it
    return re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))", "", text)


def _plain_numbers(text: str) -> str:
    """``text`` without what the price and time rules already judged."""
    text = _digits_only(text)
    text = re.sub(r"\d+[ \u00a0\u202f]?(?:₽|руб|р\.|р\b)", " ", text)
    text = re.sub(r"\d{1,2}:\d{2}", " ", text)
    text = _DATE.sub(" ", text)
    return _BARE_HOUR.sub(" ", text)


def _names(text: str, grounding: Grounding) -> list[Rejection]:
    known = _stems([*grounding.known_names, *_words(grounding.source)])
    found: list[Rejection] = []
    after_teacher_word = [m.group(1) for m in _TEACHER_WORD.finditer(text)]
    unknown_teachers = [n for n in after_teacher_word if not _is_known(n, known)]
    if unknown_teachers:
        found.append(Rejection("teacher", f"not a KB teacher: {unknown_teachers}"))
    strangers = [
        m.group(0)
        for m in _PROPER.finditer(text)
        if _mid_sentence(text, m.start())
        and m.group(0) not in unknown_teachers
        and not _is_known(m.group(0), known)
    ]
    if strangers:
        found.append(Rejection("name", f"unknown names: {strangers}"))
    teachers = _stems(grounding.teacher_names)
    talks_of_teacher = _TEACHER_NOUN.search(normalise(text)) or any(
        _is_known(word, teachers) for word in _PROPER.findall(text)
    )
    comparison = _COMPARISON.search(normalise(text))
    if comparison and talks_of_teacher and not _COMPARISON.search(normalise(grounding.source)):
        found.append(Rejection("comparison", comparison.group(0)))
    return found


def _claims(text: str, grounding: Grounding) -> list[Rejection]:
    found: list[Rejection] = []
    normal, source = normalise(text), normalise(grounding.source)
    claim = _BOOKING_CLAIM.search(normal)
    if claim and not _BOOKING_CLAIM.search(source):
        found.append(Rejection("booking_fact", f"{claim.group(0)!r} without a tool result"))
    source_days = {_stem(day) for day in _WEEKDAY.findall(source)}
    stray_days = [d for d in _WEEKDAY.findall(normal) if _stem(d) not in source_days]
    source_dates = {m.group(0) for m in _DATE.finditer(source)}
    stray_dates = [m.group(0) for m in _DATE.finditer(normal) if m.group(0) not in source_dates]
    if stray_days or stray_dates:
        found.append(Rejection("date", f"not in the grounding: {stray_days + stray_dates}"))
    return found


def _mid_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return bool(before) and (before[-1].isalnum() or before[-1] in ",;")


def _words(text: str) -> list[str]:
    return re.findall(r"\w{3,}", text)


def _stem(word: str) -> str:
    word = normalise(word)
    return word[: max(3, len(word) - 2)]


def _stems(names: Iterable[str]) -> frozenset[str]:
    return frozenset(_stem(word) for name in names for word in _words(name))


def _is_known(word: str, stems: frozenset[str]) -> bool:
    if _POLITE.fullmatch(word):
        return True
    stem = _stem(word)
    return any(stem.startswith(known) or known.startswith(stem) for known in stems)
