"""``dancebot worker``: outbound delivery (arq), and every few seconds the due work —
reminders, FSM timeouts, session recovery (DESIGN §2; contract §9, §20)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import structlog
from arq.connections import RedisSettings
from arq.cron import cron

from dancebot.adapters.clock import SystemClock
from dancebot.adapters.queue.delivery import RetryPolicy
from dancebot.adapters.queue.jobs import WorkerDeps
from dancebot.adapters.storage.db.engine import make_sessionmaker
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.entrypoints.bootstrap import Services
from dancebot.entrypoints.channels import (
    ConfigurationError,
)
from dancebot.entrypoints.observability import WorkerHealth, serve_worker_endpoints
from dancebot.entrypoints.settings import Settings, check_settings
from dancebot.entrypoints.stack import open_service_stack
from dancebot.entrypoints.worker import worker_settings
from dancebot.ops.worker_health import WORKER_HEALTH_EVERY_SECONDS
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier
from dancebot.reporting.weekly import WeeklySummary

log = structlog.get_logger(__name__)

DUE_EVERY_SECONDS = 5  # reminders land within seconds of their time (contract: ±5 min)


class _Held:
    services: Services | None = None
    weekly: WeeklySummary | None = None


def worker_for(
    settings: Settings, *, clock: Clock | None = None, keys: RedisKeys | None = None
) -> dict[str, Any]:
    """arq worker settings for ``arq.run_worker``. Raises ``ConfigurationError`` without
    ``REDIS_URL``: the queue lives in a Redis the app and the worker share."""
    if settings.redis_url is None:
        raise ConfigurationError("dancebot worker needs REDIS_URL (the Redis the app queues to)")
    check_settings(settings)
    clock = clock or SystemClock()
    keys = keys or RedisKeys(prefix=settings.redis_key_prefix)
    held = _Held()
    health = WorkerHealth()
    policy = RetryPolicy(send_timeout=settings.outbound_send_timeout_seconds)
    job_timeout = policy.send_timeout * 2 + 5  # a send, the dead-letter write, Redis

    @asynccontextmanager
    async def build() -> AsyncIterator[WorkerDeps]:
        async with (
            open_service_stack(settings, clock=clock, keys=keys) as stack,
            serve_worker_endpoints(settings.worker_metrics_port, health),
        ):
            services, channels, admin = stack.services, stack.channels, stack.admin
            held.services = health.services = services
            held.weekly = _weekly(settings, services, admin, clock=clock, keys=keys)
            log.info("worker_started", channels=sorted(c.value for c in channels.senders))
            yield WorkerDeps.create(
                senders=channels.senders,
                redis=services.redis,
                keys=keys,
                sessionmaker=make_sessionmaker(services.db),
                admin=admin,
                clock=clock,
                policy=policy,
            )
            held.services = health.services = None

    async def run_due_work(ctx: dict[str, Any]) -> int:
        services, weekly = held.services, held.weekly
        done = 0
        if services is not None and weekly is not None:
            done = await services.run_due(clock.now()) + await weekly.run_due(clock.now())
        health.ticked()
        return done

    arq_settings = worker_settings(
        build,
        keys=keys,
        redis_settings=_arq_redis(settings),
        send_job_timeout=job_timeout,
        cron_jobs=[
            cron(
                run_due_work,
                second=set(range(0, 60, DUE_EVERY_SECONDS)),
                run_at_startup=True,
                unique=True,
                timeout=job_timeout,
            )
        ],
    )
    # the heartbeat `dancebot worker --check` reads (docker-compose.yml's worker probe)
    arq_settings["health_check_interval"] = WORKER_HEALTH_EVERY_SECONDS
    arq_settings["health_check_key"] = keys.worker_health()
    return arq_settings


def _arq_redis(settings: Settings) -> RedisSettings:
    """arq's own pool: connection attempts time out like ours (arq has no command timeout)."""
    assert settings.redis_url is not None
    base = RedisSettings.from_dsn(settings.redis_url)
    return replace(base, conn_timeout=max(1, int(settings.redis_socket_timeout_seconds)))


def _weekly(
    settings: Settings, services: Services, admin: AdminNotifier, *, clock: Clock, keys: RedisKeys
) -> WeeklySummary:
    """The weekly KPI summary to the admin chat (WEEKLY_REPORT_ENABLED, off by default)."""
    return WeeklySummary(
        make_sessionmaker(services.db),
        admin=admin,
        redis=services.redis,
        keys=keys,
        clock=clock,
        tz=services.kb.tz,
        weekday=settings.weekly_report_weekday,
        hour=settings.weekly_report_hour,
        enabled=settings.weekly_report_enabled,
    )
