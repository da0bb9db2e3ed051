"""The LLM command generator (DESIGN §5): the ``CommandGenerator`` port on pydantic-ai.

The model sees the studio's services and the commands it may give (system prompt, no client
text), and in user messages the dialogue's state, what the bot just asked, the last turns and
a summary of older ones, then the client's message. Its structured output is validated into
an ``Understanding`` (source "llm"); what the KB does not back is dropped (``output``).
Invalid output: parse → extract from a code block → one retry → None, and the engine uses
the deterministic parse. Nothing here raises to the engine.
"""

from __future__ import annotations

from datetime import date

import structlog
from pydantic_ai import Agent, TextOutput, ToolOutput

from dancebot.ai.context_window import Summary, SummaryStore, fold
from dancebot.ai.gateway import CallSettings, LlmGateway
from dancebot.ai.output import ModelCommands, check_output, parse_text_output
from dancebot.ai.prompts import context_block, message_block, understand_instructions
from dancebot.domain.budget import BudgetStatus
from dancebot.domain.commands import Understanding
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase

log = structlog.get_logger(__name__)

OUTPUT_TOOL = "commands"


def understanding_agent(kb: KnowledgeBase) -> Agent[None, ModelCommands]:
    """One retry in all (contract §11): a tool call that does not validate, or prose that
    holds no valid JSON, is sent back to the model once."""
    return Agent(
        output_type=[
            ToolOutput(ModelCommands, name=OUTPUT_TOOL, max_retries=1),
            TextOutput(parse_text_output),
        ],
        instructions=understand_instructions(kb),
        retries={"output": 1},
    )


class LlmCommandGenerator:
    def __init__(
        self,
        gateway: LlmGateway,
        *,
        settings: CallSettings,
        summaries: SummaryStore | None = None,
    ) -> None:
        self._gateway = gateway
        self._settings = settings
        self._summaries = summaries
        self._agents: dict[int, tuple[KnowledgeBase, Agent[None, ModelCommands]]] = {}

    async def budget_status(self) -> BudgetStatus:
        """The budget guard's counters (test mode's ``/budget``)."""
        return await self._gateway.budget_status()

    async def generate(
        self,
        text: str,
        session: Session,
        kb: KnowledgeBase,
        today: date,
        *,
        trace_id: str,
    ) -> Understanding | None:
        """The commands ``text`` gives, or None (the deterministic parse is used)."""
        try:
            summary = await self._summary(session)
            output = await self._gateway.run(
                self._agent(kb),
                [
                    context_block(session, today=today, summary=summary, text=text),
                    message_block(text),
                ],
                purpose="understand",
                trace_id=trace_id,
                settings=self._settings,
            )
            if not isinstance(output, ModelCommands):
                return None
            checked = check_output(output, kb)
        except Exception as exc:  # the engine must get None, never an exception
            log.error("llm_generate_failed", error=type(exc).__name__, trace_id=trace_id)
            return None
        if checked.dropped:
            log.info("llm_commands_dropped", dropped=checked.dropped, trace_id=trace_id)
        return checked.understanding

    def _agent(self, kb: KnowledgeBase) -> Agent[None, ModelCommands]:
        cached = self._agents.get(id(kb))
        if cached is None or cached[0] is not kb:
            cached = (kb, understanding_agent(kb))
            self._agents[id(kb)] = cached
        return cached[1]

    async def _summary(self, session: Session) -> str:
        if self._summaries is None:
            return ""
        channel, chat_id = session.channel.value, session.chat_id
        stored = await self._summaries.load(channel, chat_id)
        folded = fold(stored, session.history)
        if folded != stored:
            await self._summaries.save(channel, chat_id, folded)
        return folded.text


__all__ = ["LlmCommandGenerator", "Summary", "understanding_agent"]
