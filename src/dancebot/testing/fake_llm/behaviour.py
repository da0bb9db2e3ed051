"""What the fake answers when nothing is scripted.

``fake`` mode: for the command generator it runs the project's deterministic ``understand()``
on the message and the dialogue context the prompt carries, and returns the result as the
model's structured output (with ``when.text`` set to the client's words, as the prompt asks).
That makes it a fake *provider*: the provider code, the wire format, our parser and our
validation all run for real. Phrasing is honest: a rewrite returns the text unchanged, an
answer returns the first snippet.

``liar`` mode: the same commands plus an invented service and dates the model computed (our
validation must drop them), and phrasings that each carry one kind of lie in turn: an
invented price, time, teacher, a comparison of teachers, "я бот", too many emoji, too long.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from dancebot.ai.prompts import (
    CONTEXT_HEADER,
    MESSAGE_HEADER,
    NO_ANSWER,
    REPHRASE_HEADER,
    SNIPPETS_HEADER,
    TASK_ANSWER,
    TASK_REPHRASE,
    TASK_UNDERSTAND,
)
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import OfferedLesson, Session, Slots
from dancebot.kb.schema import KnowledgeBase
from dancebot.nlu.understand import understand
from dancebot.testing.fake_llm.state import Mode
from dancebot.testing.fake_llm.wire import Parsed

INVENTED_SERVICE = "pole_dance_deluxe"
INVENTED_DAY = "2031-01-01"


def task_of(parsed: Parsed) -> str:
    for task in (TASK_UNDERSTAND, TASK_REPHRASE, TASK_ANSWER):
        if task in parsed.system:
            return task
    return TASK_UNDERSTAND if parsed.tools else TASK_REPHRASE


def _part(parsed: Parsed, header: str) -> str | None:
    for text in parsed.user_texts:
        if text.startswith(header):
            return text[len(header) :].strip()
    return None


def commands(parsed: Parsed, kb: KnowledgeBase | None, mode: Mode) -> dict[str, Any]:
    """The structured output for an understanding request."""
    text = _part(parsed, MESSAGE_HEADER) or (parsed.user_texts[-1] if parsed.user_texts else "")
    raw_context = _part(parsed, CONTEXT_HEADER)
    if kb is None or raw_context is None:
        return {"commands": [{"type": "unclear"}]}
    context = json.loads(raw_context)
    today = date.fromisoformat(context["today"])
    understanding = understand(text, _session(context, today), kb, today)
    output = {
        "commands": [c.model_dump(mode="json", exclude_none=True) for c in understanding.commands],
        "entities": understanding.entities.model_dump(mode="json", exclude_none=True),
    }
    _words_for_dates(output, text)
    if mode is Mode.LIAR:
        _lie_in_commands(output)
    return output


def _session(context: dict[str, Any], today: date) -> Session:
    """The session as far as the prompt tells it (offered lessons by label only)."""
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    slots = context.get("slots") or {}
    session = Session.start(Channel(context.get("channel", "telegram")), "fake-llm", now=now)
    session.state = State(context.get("state", "idle"))
    session.slots = Slots(
        service_id=slots.get("service_id"),
        client_name=slots.get("client_name"),
        attendee_name=slots.get("attendee_name"),
        reschedule=bool(slots.get("reschedule")),
        awaiting=context.get("awaiting"),
        offered=[
            OfferedLesson(schedule_id=0, date=today, start=now, label=label)
            for label in context.get("offered", [])
        ],
    )
    return session


def _whens(value: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("when", "to") and isinstance(item, dict):
                found.append(item)
            found += _whens(item)
    elif isinstance(value, list):
        for item in value:
            found += _whens(item)
    return found


def _words_for_dates(output: dict[str, Any], text: str) -> None:
    for when in _whens(output):
        if not when.get("text"):
            when["text"] = text


def _lie_in_commands(output: dict[str, Any]) -> None:
    for when in _whens(output):
        when["day"] = INVENTED_DAY
    output["commands"].append({"type": "start_booking", "service_id": INVENTED_SERVICE})


def phrasing(parsed: Parsed, kb: KnowledgeBase | None, mode: Mode, turn: int) -> str:
    """The text for a rephrase or answer request."""
    if mode is Mode.LIAR:
        return lie(turn, kb)
    if task_of(parsed) == TASK_ANSWER:
        snippets = (_part(parsed, SNIPPETS_HEADER) or "").splitlines()
        first = next((s.removeprefix("- ").strip() for s in snippets if s.strip()), "")
        return first or NO_ANSWER
    return _part(parsed, REPHRASE_HEADER) or ""


def lie(turn: int, kb: KnowledgeBase | None) -> str:
    """The ``turn``-th lie (they come round in order)."""
    teacher = kb.teachers[0].name if kb is not None and kb.teachers else "Анна"
    lies = (
        "Отлично! Занятие стоит всего 990 ₽, приходите!",
        "Ждём вас сегодня в 21:45, места есть!",
        "Вас будет вести преподаватель Жанна Котова, она чудесная.",
        f"{teacher} лучше всех преподавателей, идите к ней.",
        "Я бот, но всё для вас устрою!",
        "Записала вас! 💃🔥✨🎉",
        "Конечно! " + "Мы очень рады каждому новому ученику и всегда ждём вас. " * 8,
    )
    return lies[turn % len(lies)]
