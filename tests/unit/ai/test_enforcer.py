"""The policy enforcer: every rule stops what it must and lets the honest text through."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dancebot.ai.policy.enforcer import RULES, Grounding, check_reply
from dancebot.ai.policy.grounding import grounding_for
from dancebot.domain.messages import Channel
from dancebot.domain.session import Session
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase

PROJECT = Path(__file__).resolve().parents[3]
SOURCE = "Записала вас на Contemporary в среду, 4 марта, в 19:00. Ведёт Анна Петрова."


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(PROJECT / "knowledge/studio_tatyana.yaml")


def _grounding(kb: KnowledgeBase, source: str = SOURCE, **kwargs: object) -> Grounding:
    session = Session.start(Channel.TELEGRAM, "1", now=datetime(2026, 3, 1, tzinfo=UTC))
    session.slots.client_name = "Ника"
    grounding = grounding_for(kb, session, source=source, allowed_times=["19:00", "20:30"])
    return Grounding(**{**{f: getattr(grounding, f) for f in grounding.__slots__}, **kwargs})


def _rules(text: str, grounding: Grounding) -> list[str]:
    return [r.rule for r in check_reply(text, grounding)]


def test_an_honest_rephrasing_passes(kb: KnowledgeBase) -> None:
    text = "Готово, Ника! Вы записаны на Contemporary в среду, 4 марта, в 19:00 к Анне Петровой 💃"
    assert _rules(text, _grounding(kb)) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", "empty"),
        ("а" * 301, "length"),
        ("Ждём вас! 💃🔥✨", "emoji"),
        ("Удобно в среду? Или в пятницу?", "questions"),
        ("Я бот, но запишу вас в среду.", "ai_self_reference"),
        ("Как ИИ, я рекомендую Contemporary.", "ai_self_reference"),
        ("Занятие стоит 990 ₽.", "price"),
        ("Записала вас в среду в 21:45.", "time"),
        ("Записала вас в среду, начало в 21.", "time"),
        ("Записала вас в среду, осталось 3 места.", "number"),
        ("Записала вас в среду, ведёт преподаватель Жанна.", "teacher"),
        ("Записала вас в среду, вас встретит Виолетта.", "name"),
        ("Записала вас в среду: Анна Петрова лучше всех преподавателей.", "comparison"),
        ("Записала вас в пятницу.", "date"),
        ("Записала вас на 5 апреля.", "date"),
    ],
)
def test_each_rule_stops_its_lie(kb: KnowledgeBase, text: str, rule: str) -> None:
    assert rule in RULES
    assert rule in _rules(text, _grounding(kb))


def test_booking_claims_need_a_tool_result_in_the_grounding(kb: KnowledgeBase) -> None:
    question = _grounding(kb, source="Contemporary: современный танец для всех уровней.")
    assert _rules("Contemporary — современный танец, места есть!", question) == ["booking_fact"]
    assert _rules("Contemporary — современный танец для всех уровней.", question) == []


def test_whatsapp_is_shorter_and_the_tone_limits_emoji(kb: KnowledgeBase) -> None:
    text = "Записала вас! " + "а" * 190
    assert _rules(text, _grounding(kb, channel="whatsapp")) == ["length"]
    assert _rules(text, _grounding(kb)) == []
    assert _rules("Записала вас 💃", _grounding(kb, max_emoji=0)) == ["emoji"]


def test_kb_prices_and_times_and_declined_names_are_known(kb: KnowledgeBase) -> None:
    price = min(kb.all_prices())
    text = f"Записала вас! Разовое — {price:,} ₽, у Анны Петровой в 20:30.".replace(",", " ")
    assert _rules(text, _grounding(kb)) == []


def test_polite_capitals_are_not_names(kb: KnowledgeBase) -> None:
    assert _rules("Записала Вас в среду, ждём Вас!", _grounding(kb)) == []


def test_comparison_only_about_teachers(kb: KnowledgeBase) -> None:
    assert _rules("Записала вас, лучше приходите за 10 минут.", _grounding(kb)) == ["number"]
    assert _rules("Записала вас, лучше приходите заранее.", _grounding(kb)) == []
    assert "comparison" in _rules("Дмитрий Ким опытнее, записала к нему.", _grounding(kb))
