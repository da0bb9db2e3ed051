"""What a dialogue handler may use: the ports, the knowledge base and the turn being handled."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from dancebot.domain.commands import Entities, Unclear, Understanding, WhenSpec
from dancebot.domain.messages import UnifiedMessage
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase
from dancebot.kb.search import FaqIndex
from dancebot.nlu.temporal import When, parse_when
from dancebot.ports.audit import AuditLog
from dancebot.ports.channels import ReminderScheduler
from dancebot.ports.clock import Clock
from dancebot.ports.crm import CRM
from dancebot.ports.llm import CommandGenerator, Phraser
from dancebot.ports.outbox import AdminDesk, AdminNotifier
from dancebot.ports.storage import FallbackQueue, IdempotencyGuard, ProfileStore, SessionStore


@dataclass(frozen=True)
class Deps:
    """The engine's dependencies, built once by ``bootstrap``."""

    kb: KnowledgeBase
    crm: CRM
    clock: Clock
    sessions: SessionStore
    profiles: ProfileStore
    idempotency: IdempotencyGuard
    audit: AuditLog
    admin: AdminNotifier
    faq: FaqIndex
    reminders: ReminderScheduler
    fallback: FallbackQueue
    test_mode: bool = False
    # the AI layer (DESIGN §5); None → the deterministic parser and templates (L2)
    command_generator: CommandGenerator | None = None
    phraser: Phraser | None = None
    # where cases meet the admin; None → the plain admin chat with /reply (``admin``)
    desk: AdminDesk | None = None


@dataclass
class TurnContext:
    """One inbound message being handled: the session is mutated in place."""

    deps: Deps
    session: Session
    message: UnifiedMessage
    text: str
    # the message, understood once (DESIGN §5): handlers read this, never ``text``
    understanding: Understanding = field(
        default_factory=lambda: Understanding(commands=(Unclear(),))
    )
    notes: list[str] = field(default_factory=list)  # what happened, for the trace

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.deps.kb.tz).date()

    @property
    def entities(self) -> Entities:
        return self.understanding.entities

    def resolve(self, spec: WhenSpec | None) -> When:
        """A command's ``WhenSpec`` as the temporal parser's ``When``; a spec that carries only
        the client's words (from the LLM) is resolved here: a model never computes a date."""
        return resolve_when(spec, today=self.today)


def resolve_when(spec: WhenSpec | None, *, today: date) -> When:
    """Dates always come from the deterministic parser (D71/D72): a spec carrying the
    client's words is resolved from them; times a spec holds fill what the words leave out."""
    if spec is None:
        return When()
    if spec.text:
        said = parse_when(spec.text, today=today)
        if not said.is_empty or spec.is_empty:
            return said if said.at or not spec.at else replace(said, at=spec.at)
    return When(
        day=spec.day,
        at=spec.at,
        not_before=spec.not_before,
        not_after=spec.not_after,
        days=tuple(spec.days),
        weekdays=tuple(spec.weekdays),
        period_start=spec.period_start,
        period_end=spec.period_end,
    )
