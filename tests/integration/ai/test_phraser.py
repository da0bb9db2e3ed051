"""Phrasing over HTTP under the policy enforcer: honest text passes, the liar never does."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from tests.integration.ai.conftest import MakeAi

from dancebot.ai.phraser import LlmPhraser
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import FakeLLM, Mode, Reply
from dancebot.testing.fake_llm.behaviour import lie

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
CODE_TEXT = "Записала вас на Contemporary в среду, 4 марта, в 19:00."


def _phraser(make_ai: MakeAi) -> LlmPhraser:
    phraser = make_ai().phraser
    assert phraser is not None
    return phraser


async def test_an_honest_rephrasing_is_sent(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    phraser = _phraser(make_ai)
    fake.script(Reply(text="Готово! Ждём вас на Contemporary в среду, 4 марта, в 19:00 💃"))
    text = await phraser.rephrase(
        CODE_TEXT, session=session, kb=kb, allowed_times=["19:00"], trace_id="t"
    )
    assert text == "Готово! Ждём вас на Contemporary в среду, 4 марта, в 19:00 💃"
    assert CODE_TEXT in fake.requests[-1].user_texts[0]
    assert CODE_TEXT not in fake.requests[-1].system


async def test_the_liar_never_gets_through(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    phraser = _phraser(make_ai)
    fake.mode = Mode.LIAR
    before = {
        rule: REGISTRY.get_sample_value("dancebot_llm_enforcer_rejections_total", {"rule": rule})
        or 0.0
        for rule in ("price", "time", "teacher", "comparison", "ai_self_reference", "emoji")
    }
    for _ in range(7):
        assert (
            await phraser.rephrase(
                CODE_TEXT, session=session, kb=kb, allowed_times=["19:00"], trace_id="t"
            )
            is None
        )
    for rule in ("price", "time", "teacher", "comparison", "ai_self_reference", "emoji", "length"):
        assert phraser.rejections[rule] >= 1, rule
    for rule, value in before.items():
        after = REGISTRY.get_sample_value("dancebot_llm_enforcer_rejections_total", {"rule": rule})
        assert after is not None and after > value


async def test_answers_come_from_the_snippets_only(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    phraser = _phraser(make_ai)
    snippets = ["Парковка бесплатная, во дворе студии."]
    answer = await phraser.answer(
        "где оставить машину?", session=session, kb=kb, snippets=snippets, trace_id="t"
    )
    assert answer == "Парковка бесплатная, во дворе студии."
    question = fake.requests[-1]
    assert "где оставить машину?" not in question.system
    fake.script(Reply(text="НЕТ"))
    assert (
        await phraser.answer("а душ есть?", session=session, kb=kb, snippets=snippets, trace_id="t")
        is None
    )
    fake.script(Reply(text="Парковка бесплатная, а ещё места есть на завтра в 21:00!"))
    assert (
        await phraser.answer("парковка?", session=session, kb=kb, snippets=snippets, trace_id="t")
        is None
    )
    assert await phraser.answer("x", session=session, kb=kb, snippets=[], trace_id="t") is None


def test_the_liars_lies_come_round(kb: KnowledgeBase) -> None:
    assert len({lie(i, kb) for i in range(7)}) == 7
    assert lie(0, kb) == lie(7, kb)
