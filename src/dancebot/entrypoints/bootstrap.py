"""The composition root: builds the object graph from settings (STYLE §3).

The CLI, the FastAPI lifespan, the worker and the tests all call ``build_services``. Unset
``REDIS_URL`` / ``DATABASE_URL`` / ``IMPULSE_BASE_URL`` give the embedded defaults
(fakeredis, SQLite under ``var/``, the Impulse emulator in process over HTTP) — DESIGN §4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx
import redis.asyncio as aioredis
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from dancebot.adapters.crm.breaker import BreakerStore, CircuitBreakerCRM
from dancebot.adapters.crm.impulse.aiohttp_transport import AiohttpTransport
from dancebot.adapters.crm.impulse.cache import ScheduleCache
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.adapters.degradation_state import DegradationMonitor
from dancebot.adapters.queue.dead_letters import DeadLetters
from dancebot.adapters.storage.chat_gate import RedisChatGate
from dancebot.adapters.storage.db.audit import SqlAuditLog
from dancebot.adapters.storage.db.engine import database_url, make_engine, make_sessionmaker
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.adapters.storage.db.retention import Retention
from dancebot.adapters.storage.dedup import RedisInboundDedup
from dancebot.adapters.storage.fallback import RedisFallbackQueue
from dancebot.adapters.storage.idempotency import RedisIdempotencyGuard
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.profiles import RedisProfileStore
from dancebot.adapters.storage.redis_connection import make_redis
from dancebot.adapters.storage.reminders import RedisContacts, RedisReminders
from dancebot.adapters.storage.sessions import RedisSessionStore
from dancebot.dialogue.admin import AdminConsole
from dancebot.dialogue.context import Deps
from dancebot.dialogue.engine import ConversationEngine
from dancebot.dialogue.fallback import FallbackRetrier
from dancebot.dialogue.pipeline import InboundPipeline
from dancebot.dialogue.timeouts import TIMEOUT_POLICY, TimeoutSweeper
from dancebot.entrypoints.ai_layer import AiLayer, build_ai_layer
from dancebot.entrypoints.embedded_crm import embedded_emulator, emulator_transport
from dancebot.entrypoints.settings import Settings
from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase
from dancebot.kb.search import FaqIndex
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminDesk, AdminNotifier, Outbox

if TYPE_CHECKING:  # the emulator is imported only when this process runs it
    from dancebot.adapters.crm.impulse.emulator.state import EmulatorState

log = structlog.get_logger(__name__)


@dataclass
class Services:
    """Everything a process runs on. Built by ``build_services``; closed by it too."""

    settings: Settings
    kb: KnowledgeBase
    clock: Clock
    redis: aioredis.Redis
    keys: RedisKeys
    db: AsyncEngine
    audit: SqlAuditLog
    crm: CircuitBreakerCRM
    deps: Deps
    engine: ConversationEngine
    pipeline: InboundPipeline
    emulator: EmulatorState | None  # set when the CRM is the in-process emulator
    timeouts: TimeoutSweeper
    reminders: RedisReminders
    fallback: RedisFallbackQueue
    fallback_retrier: FallbackRetrier
    degradation: DegradationMonitor
    retention: Retention | None = None
    ai: AiLayer | None = None  # None: LLM_PROVIDER=off (deterministic parser and templates)

    @property
    def due_work(self) -> list[DueWork]:
        """Everything that fires at a moment in time: FSM timeouts and reminders; and what
        wants a look on every tick (fallback retries, degradation, retention)."""
        work: list[DueWork] = [self.timeouts, self.reminders, self.fallback_retrier]
        work.append(self.degradation)
        if self.retention is not None:
            work.append(self.retention)
        return work

    async def fallback_queue_size(self) -> int:
        """Requests waiting in the booking fallback queue (``dancebot eval``'s final check)."""
        return await self.fallback.size()

    async def next_due_at(self) -> datetime | None:
        times = [t for work in self.due_work if (t := await work.next_due_at()) is not None]
        return min(times, default=None)

    async def run_due(self, now: datetime) -> int:
        return sum([await work.run_due(now) for work in self.due_work])


class DueWork(Protocol):
    async def next_due_at(self) -> datetime | None: ...

    async def run_due(self, now: datetime) -> int: ...


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    clock: Clock,
    outbox: Outbox,
    admin: AdminNotifier,
    keys: RedisKeys | None = None,
    redis: aioredis.Redis | None = None,
    desk: AdminDesk | None = None,
) -> AsyncIterator[Services]:
    """Wire the app. Raises ``KnowledgeBaseError`` on an invalid KB and
    ``ProviderConfigError`` on LLM settings that cannot work: the app must not start."""
    kb = load_kb(settings.resolve(settings.kb_path))
    keys = keys or RedisKeys(prefix=settings.redis_key_prefix)
    redis = (
        redis
        if redis is not None
        else make_redis(settings.redis_url, socket_timeout=settings.redis_socket_timeout_seconds)
    )
    var_dir = Path(settings.var_dir)
    url = database_url(settings.database_url, var_dir=var_dir)
    await upgrade_database(url)
    db = make_engine(url)
    audit = SqlAuditLog(make_sessionmaker(db))
    emulator, http = _crm_http(settings, clock=clock)
    impulse = ImpulseClient(
        http=http,
        settings=_impulse_settings(settings, embedded=emulator is not None),
        tz=kb.tz,
        now=clock.now,
        cache=ScheduleCache(redis, keys=keys),
    )
    # degradation L1: after 3 failures the CRM is not called for 30 s (state shared in Redis;
    # a clean closed breaker is re-read from it at most once a second, D78)
    crm = CircuitBreakerCRM(impulse, clock=clock, state=BreakerStore(redis, keys=keys))
    sessions = RedisSessionStore(redis, keys=keys, due=TIMEOUT_POLICY)
    fallback = RedisFallbackQueue(redis, keys=keys)
    reminders = RedisReminders(
        redis,
        keys=keys,
        clock=clock,
        crm=crm,
        outbox=outbox,
        admin=admin,
        contacts=RedisContacts(redis, keys=keys),
        address=kb.studio.address,
    )
    ai = build_ai_layer(settings, redis=redis, keys=keys, audit=audit, clock=clock, admin=admin)
    deps = Deps(
        kb=kb,
        crm=crm,
        clock=clock,
        sessions=sessions,
        profiles=RedisProfileStore(redis, keys=keys),
        idempotency=RedisIdempotencyGuard(redis, keys=keys),
        audit=audit,
        admin=admin,
        faq=FaqIndex(kb),
        reminders=reminders,
        fallback=fallback,
        test_mode=settings.test_mode,
        desk=desk,
        command_generator=ai.generator if ai else None,
        phraser=ai.phraser if ai else None,
    )
    engine = ConversationEngine(deps, outbox=outbox, turn_deadline=settings.turn_deadline_seconds)
    timeouts = TimeoutSweeper(
        sessions, index=sessions, outbox=outbox, admin=admin, crm=crm, fallback=fallback
    )
    # the one full scan: sessions saved before the due index existed, or after a restore (D66)
    indexed = await sessions.ensure_due_index()
    # contract §20: sessions left mid-booking, stale or with an absent admin are settled now
    recovered = await timeouts.run_due(clock.now())
    pipeline = InboundPipeline(
        engine,
        dedup=RedisInboundDedup(redis, keys=keys),
        gate=RedisChatGate(redis, keys=keys),
        admin_console=AdminConsole(
            sessions=sessions,
            outbox=outbox,
            admin=admin,
            fallback=fallback,
            clock=clock,
            desk=desk,
        ),
    )
    log.info(
        "services_ready",
        studio=kb.studio.name,
        crm="emulator" if emulator else "impulse",
        redis="embedded" if settings.redis_url is None else "server",
        database=url.split(":", 1)[0],
        sessions_recovered=recovered,
        timeouts_indexed=indexed,
        llm=" > ".join(spec.label for spec in ai.specs) if ai else "off",
    )
    try:
        yield Services(
            settings=settings,
            kb=kb,
            clock=clock,
            redis=redis,
            keys=keys,
            db=db,
            audit=audit,
            crm=crm,
            deps=deps,
            engine=engine,
            pipeline=pipeline,
            emulator=emulator,
            timeouts=timeouts,
            reminders=reminders,
            fallback=fallback,
            degradation=_monitor(
                crm, fallback, db, clock=clock, redis=redis, keys=keys, admin=admin, ai=ai
            ),
            ai=ai,
            fallback_retrier=FallbackRetrier(
                fallback,
                crm=crm,
                clock=clock,
                outbox=outbox,
                admin=admin,
                reminders=reminders,
                address=kb.studio.address,
                audit=audit,
            ),
            retention=Retention(
                make_sessionmaker(db),
                redis=redis,
                keys=keys,
                text_days=settings.retention_message_text_days,
                audit_days=settings.retention_audit_days,
            ),
        )
    finally:
        await http.aclose()
        await audit.flush()  # audit writes still under way are not lost at shutdown
        await db.dispose()
        await redis.aclose()


def _monitor(
    crm: CircuitBreakerCRM,
    fallback: RedisFallbackQueue,
    db: AsyncEngine,
    *,
    clock: Clock,
    redis: aioredis.Redis,
    keys: RedisKeys,
    admin: AdminNotifier,
    ai: AiLayer | None,
) -> DegradationMonitor:
    """Degradation levels L0–L4 (contract §13): the LLM is down (L2) while the budget guard
    holds a breached limit; with no LLM configured it is never down."""
    dead_letters = DeadLetters(make_sessionmaker(db), clock=clock)

    async def fallback_stats() -> tuple[int, timedelta | None]:
        oldest = await fallback.oldest()
        return await fallback.size(), (clock.now() - oldest) if oldest else None

    return DegradationMonitor(
        crm,
        llm_down=ai.budget.llm_down if ai else None,
        dead_letters_open=dead_letters.open_count,
        fallback_stats=fallback_stats,
        clock=clock,
        redis=redis,
        keys=keys,
        admin=admin,
    )


def _impulse_settings(settings: Settings, *, embedded: bool) -> ImpulseSettings:
    return ImpulseSettings(
        base_url=None if embedded else settings.impulse_base_url,
        api_path=settings.impulse_api_path,
        api_key=settings.impulse_api_key,
        auth_scheme=settings.impulse_auth_scheme,
        timeout=settings.impulse_timeout_seconds,
    )


def _crm_http(
    settings: Settings, *, clock: Clock
) -> tuple[EmulatorState | None, httpx.AsyncClient]:
    timeout = httpx.Timeout(settings.impulse_timeout_seconds)
    if settings.impulse_base_url and not settings.test_mode:  # contract §17: test mode → emulator
        # aiohttp underneath: a fifth of httpcore's CPU per request, imported on the first (D82)
        return None, httpx.AsyncClient(
            base_url=settings.impulse_base_url, timeout=timeout, transport=AiohttpTransport()
        )
    state = embedded_emulator(settings, clock=clock)
    return state, httpx.AsyncClient(
        transport=emulator_transport(state, settings),
        base_url="http://impulse-emulator",
        timeout=timeout,
    )
