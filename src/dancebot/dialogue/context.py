"""What a dialogue handler may use: the ports, the knowledge base and the turn being handled."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dancebot.domain.messages import UnifiedMessage
from dancebot.domain.session import Session
from dancebot.kb.schema import KnowledgeBase
from dancebot.kb.search import FaqIndex
from dancebot.nlu.services import ServiceMatcher
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
    matcher: ServiceMatcher
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
    notes: list[str] = field(default_factory=list)  # what happened, for the trace

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.deps.kb.tz).date()
