"""Issue 11: with the LLM provider failing for a whole run (500s, timeouts, non-JSON bodies,
wrong fields, prose instead of a tool call), every scenario still completes on the
deterministic path and nothing crashes. The real provider code (pydantic-ai over HTTP) talks to
the fake LLM server, which fails every request the chosen way."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.evaluation.scenario_support import PROJECT, SAMPLE

from dancebot.evaluation.harness import LlmSetup
from dancebot.evaluation.llm import fake_settings
from dancebot.evaluation.suite import run_suite
from dancebot.kb.loader import load_kb
from dancebot.testing.fake_llm import FakeLLM, serve_fake_llm
from dancebot.testing.fake_llm.state import Failure

# one of each kind of conversation: booking with a correction, a cancel by reference, several
# questions in one message, a KB question, an escalation, a CRM fault at confirmation
SUITE: list[Path] = [
    PROJECT / "tests/scenarios/understanding" / name
    for name in (
        "corr-no-better-monday.yaml",
        "ref-cancel-the-saturday-one.yaml",
        "multi-price-and-places.yaml",
        "kb-where-are-you.yaml",
    )
] + [
    PROJECT / "tests/scenarios/booking/s2-crm-down-at-confirm.yaml",
    PROJECT / "tests/scenarios/handoff/esc-full-relay.yaml",
]


@pytest.mark.parametrize(
    "failure",
    [
        Failure.SERVER_ERROR,
        Failure.RATE_LIMIT,
        Failure.TIMEOUT,
        Failure.MALFORMED,
        Failure.WRONG_FIELDS,
        Failure.GARBAGE_TEXT,
    ],
)
async def test_a_failing_llm_costs_nothing_but_the_llm(failure: Failure) -> None:
    assert all(path.exists() for path in SUITE), [p for p in SUITE if not p.exists()]
    fake = FakeLLM()
    fake.fail(failure)
    async with serve_fake_llm(fake, kb=load_kb(SAMPLE.kb_path)) as url:
        wait = 0.5 if failure is Failure.TIMEOUT else 30.0  # only the held requests time out
        setup = LlmSetup(settings=fake_settings(url, llm_timeout_seconds=wait), fake=fake)
        outcomes = await run_suite(SUITE, SAMPLE, llm=setup)
    assert len(outcomes) == len(SUITE)
    failed = {o.scenario_id: o.failures for o in outcomes if not o.passed}
    assert not failed, failed
    assert fake.requests, "the provider code was never called: nothing was tested"
    assert {r.answered for r in fake.requests} == {failure.value}
