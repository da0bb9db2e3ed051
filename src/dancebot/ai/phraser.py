"""Phrasing under the policy enforcer (DESIGN §5): the ``Phraser`` port on pydantic-ai.

``rephrase`` rewrites a code-built reply in the studio's tone; ``answer`` answers a question
from the KB snippets handed to it and from nothing else. Every candidate goes through
``check_reply``; a candidate that breaks a rule is counted (by rule), logged (phones masked)
and replaced by None, so the engine sends its own text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import structlog
from pydantic_ai import Agent

from dancebot.ai.gateway import CallSettings, LlmGateway
from dancebot.ai.metrics import ENFORCER_REJECTIONS
from dancebot.ai.policy.enforcer import Grounding, check_reply
from dancebot.ai.policy.grounding import grounding_for
from dancebot.ai.policy.text_facts import MAX_LENGTH
from dancebot.ai.prompts import (
    NO_ANSWER,
    answer_instructions,
    answer_prompt,
    rephrase_instructions,
    rephrase_prompt,
)
from dancebot.domain.budget import BudgetStatus
from dancebot.domain.privacy import mask_phones_in_text
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase

log = structlog.get_logger(__name__)

DEFAULT_LIMIT = 300


class LlmPhraser:
    def __init__(self, gateway: LlmGateway, *, settings: CallSettings) -> None:
        self._gateway = gateway
        self._settings = settings
        self.rejections: Counter[str] = Counter()  # by rule, since this phraser was built
        self.accepted = 0

    async def budget_status(self) -> BudgetStatus:
        """The budget guard's counters (test mode's ``/budget``)."""
        return await self._gateway.budget_status()

    async def rephrase(
        self,
        text: str,
        *,
        session: Session,
        kb: KnowledgeBase,
        allowed_times: Sequence[str],
        trace_id: str,
    ) -> str | None:
        """``text`` in the studio's tone, checked by the policy enforcer, or None."""
        limit = MAX_LENGTH.get(session.channel.value, DEFAULT_LIMIT)
        agent = Agent(output_type=str, instructions=rephrase_instructions(kb, limit=limit))
        grounding = grounding_for(kb, session, source=text, allowed_times=allowed_times, keep=text)
        return await self._phrase(agent, rephrase_prompt(text), grounding, "rephrase", trace_id)

    async def answer(
        self,
        question: str,
        *,
        session: Session,
        kb: KnowledgeBase,
        snippets: Sequence[str],
        trace_id: str,
    ) -> str | None:
        """An answer from ``snippets`` only, checked by the enforcer, or None."""
        if not snippets:
            return None
        limit = MAX_LENGTH.get(session.channel.value, DEFAULT_LIMIT)
        agent = Agent(output_type=str, instructions=answer_instructions(kb, limit=limit))
        grounding = grounding_for(kb, session, source="\n".join(snippets))
        prompt = answer_prompt(question, snippets)
        return await self._phrase(agent, prompt, grounding, "answer", trace_id)

    async def _phrase(
        self,
        agent: Agent[None, str],
        prompt: str | list[str],
        grounding: Grounding,
        purpose: str,
        trace_id: str,
    ) -> str | None:
        try:
            candidate = await self._gateway.run(
                agent, prompt, purpose=purpose, trace_id=trace_id, settings=self._settings
            )
        except Exception as exc:  # never raises to the engine
            log.error("llm_phrase_failed", error=type(exc).__name__, trace_id=trace_id)
            return None
        if not isinstance(candidate, str) or candidate.strip() == NO_ANSWER:
            return None
        candidate = candidate.strip()
        rejections = check_reply(candidate, grounding)
        if not rejections:
            self.accepted += 1
            return candidate
        for rejection in rejections:
            ENFORCER_REJECTIONS.labels(rule=rejection.rule).inc()
            self.rejections[rejection.rule] += 1
        log.warning(
            "llm_reply_rejected",
            purpose=purpose,
            rules=[r.rule for r in rejections],
            details=[r.detail for r in rejections],
            candidate=mask_phones_in_text(candidate)[:300],
            trace_id=trace_id,
        )
        return None
