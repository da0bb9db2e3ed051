"""The budget guard on the virtual clock with real Redis: each limit breached → one admin
alert, no LLM (L2 in the degradation monitor's probe), back by itself when the window passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.ai.conftest import TODAY, AdminChat, MakeAi

from dancebot.adapters.clock import VirtualClock
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import Failure, FakeLLM

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

# (settings that make the limit small, what one call adds, calls to breach, window)
LIMITS = {
    "tokens": ({"budget_max_tokens_per_hour": 9_000}, 3, timedelta(hours=1)),
    "cost_usd": ({"budget_max_cost_per_day_usd": 0.03}, 3, timedelta(days=1)),
    "requests": ({"budget_max_requests_per_minute": 3}, 3, timedelta(minutes=1)),
    "errors": ({"budget_max_errors_per_hour": 3}, 3, timedelta(hours=1)),
}


@pytest.mark.parametrize("counter", list(LIMITS))
async def test_each_limit_stops_the_llm_until_its_window_passes(
    counter: str,
    make_ai: MakeAi,
    fake: FakeLLM,
    kb: KnowledgeBase,
    session: Session,
    clock: VirtualClock,
    admin: AdminChat,
    db: AsyncEngine,
) -> None:
    overrides, calls, window = LIMITS[counter]
    ai = make_ai(**overrides)
    if counter == "errors":
        fake.fail(Failure.SERVER_ERROR)
    for _ in range(calls):
        await ai.generator.generate("привет", session, kb, TODAY, trace_id="b")
    sent = len(fake.requests)
    assert sent == calls

    status = await ai.budget.status()
    assert status.breach is not None and status.breach.counter == counter
    assert await ai.budget.llm_down()
    assert len(admin.sent) == 1 and "Лимит LLM исчерпан" in admin.sent[0]
    async with db.connect() as conn:  # the KPI report counts breaches from `errors`
        rows = (
            await conn.execute(
                text("SELECT error_type FROM errors WHERE component = 'budget_guard'")
            )
        ).all()
    assert [r[0] for r in rows] == [counter]
    # while breached: no request reaches the provider, and no second alert
    fake.fail(None)
    for _ in range(3):
        assert await ai.generator.generate("привет", session, kb, TODAY, trace_id="b") is None
        assert (
            await ai.phraser.rephrase(  # type: ignore[union-attr]
                "Ждём вас!", session=session, kb=kb, allowed_times=[], trace_id="b"
            )
            is None
        )
    assert len(fake.requests) == sent and len(admin.sent) == 1

    clock.advance(window)
    assert not await ai.budget.llm_down()
    assert await ai.generator.generate("привет", session, kb, TODAY, trace_id="b") is not None
    assert len(fake.requests) == sent + 1


async def test_counters_are_shared_by_replicas(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    one, two = make_ai(budget_max_requests_per_minute=2), make_ai(budget_max_requests_per_minute=2)
    await one.generator.generate("привет", session, kb, TODAY, trace_id="r")
    await two.generator.generate("привет", session, kb, TODAY, trace_id="r")
    assert await one.generator.generate("привет", session, kb, TODAY, trace_id="r") is None
    assert (await two.budget.status()).usage.requests == 2
