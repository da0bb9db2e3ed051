"""The LLM command generator over both wire formats: validated commands, the 3-step parser,
KB validation, dates never taken from the model, and every failure mode → None."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integration.ai.conftest import TODAY, MakeAi

from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.domain.commands import AskPrice, StartBooking
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import Failure, FakeLLM, Reply

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def _booking(service_id: str, **when: object) -> dict[str, object]:
    return {"commands": [{"type": "start_booking", "service_id": service_id, "when": when}]}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_commands_come_back_validated_and_accounted(
    provider: str,
    make_ai: MakeAi,
    fake: FakeLLM,
    kb: KnowledgeBase,
    session: Session,
    audit: SqlAuditLog,
    db: AsyncEngine,
) -> None:
    service = kb.services[0].id
    fake.script(Reply(output=_booking(service, text="в среду вечером", day="2026-03-04")))
    ai = make_ai(provider)
    session.remember("bot", "Здравствуйте! Чем помочь?", now=session.created_at)
    text = "хочу записаться в среду вечером, мой номер +79991234567"

    understanding = await ai.generator.generate(text, session, kb, TODAY, trace_id="t-1")

    assert understanding is not None and understanding.source == "llm"
    command = understanding.first(StartBooking)
    assert isinstance(command, StartBooking) and command.service_id == service
    assert command.when is not None and command.when.text == "в среду вечером"
    assert command.when.day is None  # the model computed a date: stripped
    request = fake.requests[-1]
    assert request.api == provider and request.temperature == 0.0
    assert request.tools == ["commands"]
    assert text not in request.system  # the client's words only in user messages
    assert kb.services[0].name in request.system
    assert any(t.endswith(text) for t in request.user_texts)
    assert "Здравствуйте! Чем помочь?" in request.user_texts[0]
    [call] = await audit.llm_calls(trace_id="t-1")
    assert call.outcome == "understand:ok" and call.provider == provider
    assert call.prompt_tokens > 0 and call.completion_tokens > 0 and call.cost_usd > 0


async def test_unknown_services_and_bad_choices_are_dropped(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    ai = make_ai()
    fake.script(
        Reply(
            output={
                "commands": [
                    {"type": "start_booking", "service_id": "pole_dance_deluxe"},
                    {"type": "choose_option", "index": 0},
                    {"type": "ask_price", "service_id": kb.services[1].id},
                ],
                "entities": {"service_ids": ["pole_dance_deluxe", kb.services[1].id]},
            }
        ),
        Reply(output=_booking("pole_dance_deluxe")),
    )
    understanding = await ai.generator.generate("сколько стоит?", session, kb, TODAY, trace_id="t")
    assert understanding is not None
    assert understanding.kinds == ("ask_price",)
    assert understanding.entities.service_ids == (kb.services[1].id,)
    assert isinstance(understanding.first(AskPrice), AskPrice)
    # nothing valid left → None: the engine uses the deterministic parse
    assert await ai.generator.generate("на пол-дэнс", session, kb, TODAY, trace_id="t") is None


async def test_json_in_a_code_block_is_read(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    fake.script(Reply(text='Вот команды:\n```json\n{"commands": [{"type": "greet"}]}\n```'))
    understanding = await make_ai().generator.generate("привет", session, kb, TODAY, trace_id="t")
    assert understanding is not None and understanding.kinds == ("greet",)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("first", [Failure.WRONG_FIELDS, Failure.GARBAGE_TEXT])
async def test_one_retry_after_invalid_output(
    first: Failure, make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    fake.script(Reply(failure=first), Reply(output={"commands": [{"type": "thanks"}]}))
    understanding = await make_ai().generator.generate("спасибо", session, kb, TODAY, trace_id="t")
    assert understanding is not None and understanding.kinds == ("thanks",)
    assert [r.retry for r in fake.requests] == [False, True]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("failure", list(Failure))
async def test_every_failure_mode_gives_none_and_is_recorded(
    provider: str,
    failure: Failure,
    make_ai: MakeAi,
    fake: FakeLLM,
    kb: KnowledgeBase,
    session: Session,
    audit: SqlAuditLog,
) -> None:
    # a short timeout only where the fake holds the request: a loaded machine must not turn
    # a fast 500 into a timeout
    ai = make_ai(provider, llm_timeout_seconds=0.5 if failure is Failure.TIMEOUT else 30)
    fake.fail(failure)
    assert await ai.generator.generate("запишите меня", session, kb, TODAY, trace_id="f") is None
    [call] = await audit.llm_calls(trace_id="f")
    expected = {
        Failure.RATE_LIMIT: "rate_limited",
        Failure.SERVER_ERROR: "provider_error",
        Failure.TIMEOUT: "timeout",
        Failure.MALFORMED: "provider_error",
        Failure.WRONG_FIELDS: "invalid_output",
        Failure.GARBAGE_TEXT: "invalid_output",
    }[failure]
    assert call.outcome == f"understand:{expected}"
    # the SDK does not retry on its own (429 included): one request, or two with our retry
    invalid = failure in (Failure.WRONG_FIELDS, Failure.GARBAGE_TEXT)
    assert len(fake.requests) == (2 if invalid else 1)
    status = await ai.budget.status()
    assert status.usage.errors == 1


async def test_fallback_model_answers_when_the_primary_fails(
    make_ai: MakeAi, fake: FakeLLM, fake_url: str, kb: KnowledgeBase, session: Session
) -> None:
    ai = make_ai(llm_fallback=f"openai:fake-fallback@{fake_url}/v1")
    greet = Reply(output={"commands": [{"type": "greet"}]})
    fake.script(Reply(failure=Failure.SERVER_ERROR), greet)
    understanding = await ai.generator.generate("добрый день", session, kb, TODAY, trace_id="t")
    assert understanding is not None and understanding.kinds == ("greet",)
    assert [(r.api, r.model) for r in fake.requests] == [
        ("anthropic", "fake-model-1"),
        ("openai", "fake-fallback"),
    ]


async def test_older_turns_are_summarised(
    make_ai: MakeAi, fake: FakeLLM, kb: KnowledgeBase, session: Session
) -> None:
    from datetime import timedelta

    for i in range(20):
        role = "user" if i % 2 == 0 else "bot"
        session.remember(role, f"реплика {i}", now=session.created_at + timedelta(minutes=i))
    await make_ai().generator.generate("а ещё?", session, kb, TODAY, trace_id="t")
    context = fake.requests[-1].user_texts[0]
    assert "клиент: реплика 0" in context  # folded into the summary
    assert '"text": "реплика 19"' in context  # and the last turns as they are
