"""Running one scenario in a fresh bot: its steps, the checks after each, the invariants on
every bot message, the final checks, and a transcript of it all.

Which messages a check sees: the bot's messages during a user step (user, press, edit, send,
duplicate) are that step's replies. Messages the bot sends during an ``advance``, ``fault``
or ``admin`` step are "on its own": an ``expect`` on that step sees them, and they also
gather for the next ``expect_outbound`` step, which sees everything gathered since the
previous ``expect_outbound`` (or the start).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from dancebot.evaluation.chat import SentToAdmin, SentToUser, StepProblem
from dancebot.evaluation.checks import CheckFailure, Observed, evaluate
from dancebot.evaluation.final import Totals, check_final
from dancebot.evaluation.harness import ScenarioBot, Workspace
from dancebot.evaluation.invariants import Allowed, check_message, studio_times
from dancebot.evaluation.model import (
    USER_MESSAGE_KINDS,
    ExpectOutboundStep,
    Scenario,
    Step,
    step_kind,
)
from dancebot.evaluation.steps import StepDone, perform
from dancebot.evaluation.transcript import crm_state, inbound_json, outbound_json

STEP_TIME_LIMIT_SECONDS = 120.0  # real time: a hung step must not hang the whole run
_REPLY_KINDS = USER_MESSAGE_KINDS | {"duplicate"}


@dataclass(frozen=True)
class Failure:
    """One failed check: where (``step`` is 1-based; None for the file, a crash before the
    first step, or the final checks), which check, what it wanted and what the bot said."""

    scenario_id: str
    step: int | None
    check: str
    expected: str
    actual: str


@dataclass
class RunResult:
    """One run of one scenario."""

    scenario_id: str
    failures: list[Failure]
    user_messages: int
    user_messages_to_booking: int | None  # None: no booking was created
    seconds: float
    transcript: dict[str, Any]
    llm_tokens: int = 0  # from llm_calls: 0 with --llm off
    llm_cost: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


async def run_scenario(scenario: Scenario, workspace: Workspace) -> RunResult:
    """Play ``scenario`` in a fresh bot. Never raises for the scenario's sake: a crash of the
    bot, a step that cannot be carried out or a bot that cannot be built is a failure."""
    started = time.perf_counter()
    play = _Play(scenario)
    try:
        async with workspace.bot(scenario) as bot:
            await play.run(bot)
    except Exception as exc:
        play.crash(None, exc)
    return play.result(time.perf_counter() - started)


@dataclass
class _Play:
    scenario: Scenario
    failures: list[Failure] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    user_messages: int = 0
    booked_after: int | None = None
    admin_total: int = 0
    crm: dict[str, Any] = field(default_factory=dict)
    llm_tokens: int = 0
    llm_cost: float = 0.0
    _window: list[SentToUser] = field(default_factory=list)
    _window_admin: list[SentToAdmin] = field(default_factory=list)

    def fail(self, step: int | None, failure: CheckFailure) -> None:
        self.failures.append(
            Failure(self.scenario.id, step, failure.check, failure.expected, failure.actual)
        )

    def crash(self, step: int | None, exc: BaseException) -> None:
        detail = f"{type(exc).__name__}: {exc}"
        self.fail(step, CheckFailure("crash", "the bot handles the step", detail))
        self.steps.append({"number": step, "crash": traceback.format_exc(limit=8)})

    async def run(self, bot: ScenarioBot) -> None:
        start = bot.crm_snapshot()
        seed_ids = {int(r["id"]) for r in start["reservation"]}
        allowed = Allowed(
            prices=frozenset(bot.services.kb.all_prices()),
            times=studio_times(bot.services.kb, start),
        )
        finished = True
        for number, step in enumerate(self.scenario.steps, start=1):
            if not await self._step(number, step, bot, allowed):
                finished = False  # the rest of the script no longer fits this conversation
                break
        snapshot = bot.crm_snapshot()
        self.crm = crm_state(snapshot)
        await bot.services.audit.flush()
        calls = await bot.services.audit.llm_calls()
        self.llm_tokens = sum(c.prompt_tokens + c.completion_tokens for c in calls)
        self.llm_cost = float(sum(c.cost_usd for c in calls))
        if finished and self.scenario.final is not None:
            totals = Totals(
                admin_messages=self.admin_total,
                fallback_queue=await _fallback_queue(bot),
                user_messages_to_booking=self.booked_after,
            )
            for failure in check_final(
                self.scenario.final, crm=snapshot, seed_ids=seed_ids, totals=totals
            ):
                self.fail(None, failure)

    async def _step(self, number: int, step: Step, bot: ScenarioBot, allowed: Allowed) -> bool:
        kind = step_kind(step) or "?"
        before = bot.active_reservation_ids()
        mark = len(bot.recorder.log)
        try:
            async with asyncio.timeout(STEP_TIME_LIMIT_SECONDS):
                done = await perform(step, bot)
        except StepProblem as exc:
            self.fail(number, CheckFailure(kind, "a step that can be carried out", str(exc)))
            return False
        except TimeoutError:
            limit = f"the step done within {STEP_TIME_LIMIT_SECONDS:.0f} s (real time)"
            self.fail(number, CheckFailure("timeout", limit, "the step did not finish"))
            return False
        except Exception as exc:
            self.crash(number, exc)
            return False
        to_user, to_admin = bot.recorder.since(mark)
        for sent in to_user:
            bot.chat.saw(sent.message)
        if done.inbound is not None and done.inbound.text and kind in USER_MESSAGE_KINDS:
            allowed.learn_from_user(done.inbound.text)
        if done.admin_text:
            allowed.learn_from_user(done.admin_text)
        if kind in USER_MESSAGE_KINDS:
            self.user_messages += 1
        if self.booked_after is None and bot.active_reservation_ids() - before:
            self.booked_after = self.user_messages
        self.admin_total += len(to_admin)
        state = await bot.state()
        start = len(self.failures)
        self._invariants(number, to_user, allowed)
        self._expectations(number, step, kind, to_user, to_admin, state)
        self.steps.append(
            _step_json(number, kind, done, to_user, to_admin, state, bot, self.failures[start:])
        )
        return True

    def _invariants(self, number: int, to_user: list[SentToUser], allowed: Allowed) -> None:
        for sent in to_user:
            channel = sent.message.channel.value
            for broken in check_message(sent.message.text, channel=channel, allowed=allowed):
                self.fail(
                    number,
                    CheckFailure(
                        f"invariant:{broken.invariant}", broken.expected, sent.message.text
                    ),
                )

    def _expectations(
        self,
        number: int,
        step: Step,
        kind: str,
        to_user: list[SentToUser],
        to_admin: list[SentToAdmin],
        state: str,
    ) -> None:
        if isinstance(step, ExpectOutboundStep):
            window = _observed(self._window, self._window_admin, state)
            self._window, self._window_admin = [], []
            for failure in evaluate(step.expect_outbound, window):
                self.fail(number, failure)
            return
        if kind not in _REPLY_KINDS:
            self._window += to_user
            self._window_admin += to_admin
        expect = getattr(step, "expect", None)
        if expect is not None:
            for failure in evaluate(expect, _observed(to_user, to_admin, state)):
                self.fail(number, failure)

    def result(self, seconds: float) -> RunResult:
        transcript = {
            "id": self.scenario.id,
            "channel": self.scenario.channel,
            "chat_id": self.scenario.user.chat_id,
            "passed": not self.failures,
            "steps": self.steps,
            "failures": [_failure_json(f) for f in self.failures],
            "crm": self.crm,
        }
        return RunResult(
            scenario_id=self.scenario.id,
            failures=self.failures,
            user_messages=self.user_messages,
            user_messages_to_booking=self.booked_after,
            seconds=seconds,
            transcript=transcript,
            llm_tokens=self.llm_tokens,
            llm_cost=self.llm_cost,
        )


def _observed(to_user: list[SentToUser], to_admin: list[SentToAdmin], state: str) -> Observed:
    return Observed([s.message for s in to_user], [a.text for a in to_admin], state)


async def _fallback_queue(bot: ScenarioBot) -> int:
    """Entries in the booking fallback queue; 0 until that queue exists (a later issue adds
    ``Services.fallback_queue_size``)."""
    size = getattr(bot.services, "fallback_queue_size", None)
    if size is None:
        return 0
    value = size()
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        value = await value
    return int(value)


def _step_json(
    number: int,
    kind: str,
    done: StepDone,
    to_user: list[SentToUser],
    to_admin: list[SentToAdmin],
    state: str,
    bot: ScenarioBot,
    failures: list[Failure],
) -> dict[str, Any]:
    tz = bot.services.kb.tz
    return {
        "number": number,
        "kind": kind,
        "at": bot.clock.now().astimezone(tz).isoformat(),
        **done.notes,
        "inbound": inbound_json(done.inbound, tz) if done.inbound is not None else None,
        "outbound": [outbound_json(s.message, s.at, tz) for s in to_user],
        "admin_chat": [{"text": a.text, "at": a.at.astimezone(tz).isoformat()} for a in to_admin],
        "state": state,
        "failures": [_failure_json(f) for f in failures],
    }


def _failure_json(failure: Failure) -> dict[str, Any]:
    return {
        "step": failure.step,
        "check": failure.check,
        "expected": failure.expected,
        "reply": failure.actual,
    }
