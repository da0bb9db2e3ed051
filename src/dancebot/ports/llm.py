"""The LLM's two places in the engine (DESIGN §5), as ports the AI layer implements.

- ``CommandGenerator``: a second command generator beside the deterministic parser. It reads
  the message in the context of the session and returns an ``Understanding`` (validated
  commands), or None when it cannot (off, budget exhausted, provider down, garbage output):
  the engine then uses the deterministic parse. It never raises to the engine.
- ``Phraser``: rewrites a code-built reply in the studio's tone, or answers a free-form
  question from the KB snippets handed to it. Whatever it returns has already passed the
  policy enforcer; None means "send the code-built text".

With neither configured the engine runs on the deterministic parser and templates (the
embedded default and degradation level L2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from dancebot.domain.budget import BudgetStatus
from dancebot.domain.commands import Understanding
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase


class CommandGenerator(Protocol):
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
        ...


class Phraser(Protocol):
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
        ...

    async def answer(
        self,
        question: str,
        *,
        session: Session,
        kb: KnowledgeBase,
        snippets: Sequence[str],
        trace_id: str,
    ) -> str | None:
        """An answer to ``question`` from ``snippets`` only, checked by the enforcer, or
        None (the question goes to the admin as before)."""
        ...


@runtime_checkable
class BudgetView(Protocol):
    """Implemented by the AI layer's generator and phraser: the budget guard's counters,
    for test mode's ``/budget``."""

    async def budget_status(self) -> BudgetStatus: ...
