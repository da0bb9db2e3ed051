"""Pure parts of the AI layer: the 3-step parser's text steps, KB validation, the budget's
windows and breaches, prices, the running summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic_ai import ModelRetry

from dancebot.ai.context_window import KEEP_RAW, Summary, fold
from dancebot.ai.output import ModelCommands, check_output, parse_text_output
from dancebot.ai.pricing import PriceTable
from dancebot.domain.budget import HOUR, BudgetLimits, BudgetUsage, breaches
from dancebot.domain.session import Turn
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase

PROJECT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 3, 2, 10, 25, tzinfo=UTC)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb(PROJECT / "knowledge/studio_tatyana.yaml")


def test_text_output_json_then_code_block_then_retry() -> None:
    assert parse_text_output('{"commands": [{"type": "greet"}]}').commands[0].type == "greet"
    block = 'Конечно:\n```json\n{"commands": [{"type": "thanks"}]}\n```\nГотово.'
    assert parse_text_output(block).commands[0].type == "thanks"
    assert parse_text_output('ок {"commands": [{"type": "confirm"}]}').commands[0].type == "confirm"
    with pytest.raises(ModelRetry):
        parse_text_output("Хорошо, записываю!")
    with pytest.raises(ModelRetry):
        parse_text_output('{"intent": "booking"}')


def test_check_output_strips_dates_and_bad_phones(kb: KnowledgeBase) -> None:
    output = ModelCommands.model_validate(
        {
            "commands": [
                {
                    "type": "reschedule",
                    "ref": {"when": {"text": "в субботу", "day": "2026-03-07"}},
                    "to": {"days": ["2026-03-09"]},
                },
                {"type": "set_slots", "phone": "89131234567", "name": "Ника"},
            ],
            "entities": {"service_ids": ["hiphop", "tango"], "phone": "+79131234567"},
        }
    )
    checked = check_output(output, kb)
    assert checked.understanding is not None
    reschedule, slots = checked.understanding.commands
    assert reschedule.type == "reschedule" and reschedule.to is None
    assert reschedule.ref.when is not None and reschedule.ref.when.day is None
    assert reschedule.ref.when.text == "в субботу"
    assert slots.type == "set_slots" and slots.phone is None and slots.name == "Ника"
    assert checked.understanding.entities.service_ids == ("hiphop",)
    assert checked.understanding.entities.phone == "+79131234567"
    assert len(checked.dropped) == 3


def test_windows_and_breaches() -> None:
    assert HOUR.start(NOW) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert HOUR.end(NOW) == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    limits = BudgetLimits(tokens_per_hour=100, cost_per_day_usd=1.0)
    assert breaches(BudgetUsage(tokens=99, cost_usd=0.99), limits, now=NOW) == []
    found = breaches(BudgetUsage(tokens=100, cost_usd=1.0), limits, now=NOW)
    assert [b.counter for b in found] == ["cost_usd", "tokens"]  # the longest first
    assert found[0].until == datetime(2026, 3, 3, tzinfo=UTC)


def test_prices_by_longest_prefix_and_default() -> None:
    table = PriceTable({"claude-haiku-4-5": (1.0, 5.0), "claude": (9.0, 9.0)}, default=(2.0, 2.0))
    cost = table.cost("claude-haiku-4-5-20251001", input_tokens=1_000_000, output_tokens=100_000)
    assert cost == Decimal("1.500000")
    assert table.cost("gpt-x", input_tokens=500_000, output_tokens=0) == Decimal("1.000000")


def test_the_summary_folds_each_old_turn_once() -> None:
    turns = [
        Turn(
            role="user" if i % 2 == 0 else "bot",
            text=f"t{i} +79131234567",
            at=NOW + timedelta(minutes=i),
        )
        for i in range(KEEP_RAW + 3)
    ]
    first = fold(Summary(), turns)
    assert first.text.count("\n") == 2 and "t0" in first.text and "t3" not in first.text
    assert "+79131234567" not in first.text  # phones masked
    again = fold(first, turns)
    assert again == first
    more = fold(first, [*turns, Turn(role="user", text="t99", at=NOW + timedelta(hours=1))])
    assert more.text.startswith(first.text) and "t3" in more.text
