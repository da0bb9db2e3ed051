"""Carrying out one scenario step on a bot (SCENARIOS.md, "Step kinds")."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from dancebot.domain.messages import UnifiedMessage
from dancebot.entrypoints.virtual_time import advance
from dancebot.evaluation.chat import StepProblem
from dancebot.evaluation.harness import SLOW_CRM_DELAY_SECONDS, ScenarioBot
from dancebot.evaluation.model import (
    AdminStep,
    AdvanceStep,
    DuplicateStep,
    EditStep,
    ExpectOutboundStep,
    FaultStep,
    PressStep,
    SendStep,
    Step,
    UserStep,
)
from dancebot.testing.fake_llm import Failure

ADMIN_UNSUPPORTED = "admin commands are not supported yet"
LLM_OFF_NOTE = "no LLM in this run (--llm off): the fault changes nothing"
_CRM_FAULT_MODES = {"down": "down", "up": "none", "slow": "slow"}


@dataclass
class StepDone:
    """What a step did besides the bot's messages: the message it delivered, if any, and
    notes for the transcript (clock moves, faults, admin commands)."""

    inbound: UnifiedMessage | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    admin_text: str | None = None


async def perform(step: Step, bot: ScenarioBot) -> StepDone:
    """Carry out ``step``. Raises ``StepProblem`` when it cannot be carried out as written;
    whatever the bot raises propagates (the runner reports it as a crash)."""
    chat = bot.chat
    message: UnifiedMessage | None = None
    if isinstance(step, UserStep):
        message = chat.text(step.user)
    elif isinstance(step, PressStep):
        message = chat.press(step.press)
    elif isinstance(step, EditStep):
        message = chat.edit(step.edit.step, step.edit.text)
    elif isinstance(step, SendStep):
        message = chat.non_text(step.send.message_type)
    elif isinstance(step, DuplicateStep):
        message = chat.duplicate()
    if message is not None:
        await bot.services.pipeline.handle(message)
        return StepDone(inbound=message)
    if isinstance(step, AdvanceStep):
        ran = await advance(bot.services, bot.clock, step.delta)
        notes = {"advance": step.advance, "to": _local(bot), "due_work_ran": ran}
        return StepDone(notes=notes)
    if isinstance(step, AdminStep):
        return await _admin(step, bot)
    if isinstance(step, FaultStep):
        notes = _fault(step, bot)
        # work due now (e.g. the fallback queue's retry once the CRM is back) runs at once
        notes["due_work_ran"] = await advance(bot.services, bot.clock, timedelta(0))
        return StepDone(notes=notes)
    if isinstance(step, ExpectOutboundStep):
        return StepDone()
    raise StepProblem(f"unknown step {step!r}")  # pragma: no cover - the model forbids it


async def _admin(step: AdminStep, bot: ScenarioBot) -> StepDone:
    """The admin's command goes to ``pipeline.handle_admin`` once the admin-commands issue
    adds it; until then the step fails plainly rather than pretending."""
    text = step.admin.replace("{chat_id}", bot.chat.chat_id)
    handler: Callable[[str], Awaitable[Any] | Any] | None = getattr(
        bot.services.pipeline, "handle_admin", None
    )
    if handler is None:
        raise StepProblem(ADMIN_UNSUPPORTED)
    result = handler(text)
    if inspect.isawaitable(result):
        await result
    return StepDone(notes={"admin": text}, admin_text=text)


def _fault(step: FaultStep, bot: ScenarioBot) -> dict[str, Any]:
    notes: dict[str, Any] = {}
    if step.fault.crm is not None:
        mode = _CRM_FAULT_MODES[step.fault.crm]
        bot.emulator.set_fault(mode, SLOW_CRM_DELAY_SECONDS)
        notes["crm"] = step.fault.crm
        if step.fault.crm == "slow":
            notes["crm_delay_seconds"] = SLOW_CRM_DELAY_SECONDS
    if step.fault.llm is not None:
        notes["llm"] = step.fault.llm
        fake = bot.llm.fake
        if fake is not None:
            fake.fail(Failure.SERVER_ERROR if step.fault.llm == "down" else None)
        elif not bot.llm.enabled:
            notes["llm_note"] = LLM_OFF_NOTE
    return notes


def _local(bot: ScenarioBot) -> str:
    return bot.clock.now().astimezone(bot.services.kb.tz).isoformat()
