"""The FastAPI app (``dancebot serve``): webhooks, ``/health``, ``/metrics``, and the
conversation consumers that read the durable inbound stream (DESIGN §2)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dancebot.adapters.channels.telegram.inbound import MalformedUpdate
from dancebot.adapters.channels.telegram.polling import run_polling
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.channels.whatsapp.window import ConversationWindow
from dancebot.adapters.clock import SystemClock
from dancebot.adapters.crm.health import CrmHealth
from dancebot.adapters.inbound.spam import SpamFilter
from dancebot.adapters.inbound.stream import InboundStream
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel
from dancebot.entrypoints.body_limit import BodySizeLimit
from dancebot.entrypoints.bootstrap import Services
from dancebot.entrypoints.channels import ConfigurationError
from dancebot.entrypoints.consumers import ConversationConsumers
from dancebot.entrypoints.observability import storage_report
from dancebot.entrypoints.settings import Settings, check_settings
from dancebot.entrypoints.stack import open_service_stack
from dancebot.entrypoints.webhooks import accept_telegram_update, router
from dancebot.ports.channels import ChannelSender
from dancebot.ports.clock import Clock

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """What the routes need; one per app, built in the lifespan."""

    settings: Settings
    clock: Clock
    services: Services
    stream: InboundStream
    window: ConversationWindow
    telegram: TelegramSender | None
    whatsapp: WhatsAppSender | None
    admin_chat_id: str | None
    senders: dict[Channel, ChannelSender] = field(default_factory=dict)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    keys: RedisKeys | None = None,
    consumers: int = 2,
    telegram_polling: bool = False,
) -> FastAPI:
    settings = settings or Settings()
    check_settings(settings)
    clock = clock or SystemClock()
    keys = keys or RedisKeys(prefix=settings.redis_key_prefix)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.redis_url is None:
            raise ConfigurationError(
                "dancebot serve needs REDIS_URL: the worker delivers every reply through a real "
                "Redis (for a terminal demo without services use `dancebot chat`)"
            )
        async with open_service_stack(settings, clock=clock, keys=keys) as stack:
            services, channels, chat_id = stack.services, stack.channels, stack.admin_chat_id
            runtime = Runtime(
                settings=settings,
                clock=clock,
                services=services,
                stream=InboundStream(services.redis, keys=keys),
                window=ConversationWindow(services.redis, keys=keys),
                telegram=channels.telegram,
                whatsapp=channels.whatsapp,
                admin_chat_id=chat_id,
                senders=channels.senders,
            )
            app.state.runtime = runtime
            await runtime.stream.ensure_group()
            stop = asyncio.Event()
            workers = ConversationConsumers(
                runtime.stream,
                services.pipeline,
                spam=SpamFilter(services.redis, keys=keys),
                senders=runtime.senders,
                count=consumers,
            )
            tasks = [asyncio.create_task(workers.run(stop))]
            if telegram_polling and channels.telegram is not None:
                tasks.append(asyncio.create_task(_poll(runtime, channels.telegram, stop)))
            log.info(
                "app_started", telegram=bool(channels.telegram), whatsapp=bool(channels.whatsapp)
            )
            try:
                yield
            finally:
                stop.set()
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = FastAPI(title="DanceBot", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=settings.webhook_max_body_bytes)
    app.include_router(router)

    @app.get("/health")
    async def health(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        report = await health_report(runtime)
        code = 200 if report["redis"] == "ok" and report["db"] == "ok" else 503
        return JSONResponse(report, status_code=code)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


async def _poll(runtime: Runtime, telegram: TelegramSender, stop: asyncio.Event) -> None:
    """Long polling (``dancebot serve --telegram-polling``): no public HTTPS address needed;
    updates take the webhook's path into the durable stream."""

    async def on_update(update: dict[str, Any]) -> None:
        try:
            await accept_telegram_update(runtime, update)
        except MalformedUpdate as exc:
            log.warning("polling_update_malformed", reason=exc.reason)

    await run_polling(telegram, on_update=on_update, stop=stop)


async def health_report(runtime: Runtime) -> dict[str, Any]:
    services = runtime.services
    report: dict[str, Any] = dict(await storage_report(services))
    # the breaker's state and a cached check: a probe never calls the CRM each time, and a
    # failed probe never opens the breaker
    report["crm"] = await CrmHealth(services.crm, redis=services.redis, keys=services.keys).status()
    report["channels"] = {
        "telegram": "ok" if runtime.telegram else "disabled",
        "whatsapp": "ok" if runtime.whatsapp else "disabled",
        "admin_chat": "ok" if runtime.admin_chat_id and runtime.telegram else "missing",
    }
    try:
        report["degradation"] = (await services.degradation.current()).to_report()
    except Exception as exc:
        report["degradation"] = f"unknown: {type(exc).__name__}"
    healthy = report["redis"] == "ok" and report["db"] == "ok"
    report["status"] = ("ok" if report["crm"] == "ok" else "degraded") if healthy else "down"
    return report
