"""What the app and the worker both run on: the Redis-backed outbox, the channels, the
services and the admin chat, wired once (``dancebot serve`` and ``dancebot worker``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from dancebot.adapters.queue.outbox import ArqOutbox, arq_pool
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.adapters.storage.redis_connection import make_redis
from dancebot.entrypoints.bootstrap import Services, build_services
from dancebot.entrypoints.channels import (
    AdminDeskProxy,
    AdminProxy,
    Channels,
    admin_chat_id,
    open_channels,
)
from dancebot.entrypoints.settings import Settings
from dancebot.ports.clock import Clock


@dataclass(frozen=True)
class ServiceStack:
    services: Services
    channels: Channels
    admin: AdminProxy
    admin_chat_id: str | None


@asynccontextmanager
async def open_service_stack(
    settings: Settings, *, clock: Clock, keys: RedisKeys
) -> AsyncIterator[ServiceStack]:
    """Needs ``settings.redis_url`` (the queue lives in a real Redis; callers check first)."""
    redis = make_redis(settings.redis_url, socket_timeout=settings.redis_socket_timeout_seconds)
    outbox = ArqOutbox(arq_pool(redis), keys=keys)
    admin = AdminProxy()
    desk = AdminDeskProxy(admin)
    async with (
        open_channels(settings) as channels,
        build_services(
            settings, clock=clock, outbox=outbox, admin=admin, keys=keys, redis=redis, desk=desk
        ) as services,
    ):
        chat_id = admin_chat_id(settings, services.kb.escalation.admin_telegram_id)
        admin.point_at(outbox, chat_id=chat_id, channels=channels)
        desk.point_at(
            settings, outbox=outbox, chat_id=chat_id, channels=channels, redis=redis, keys=keys
        )
        yield ServiceStack(services=services, channels=channels, admin=admin, admin_chat_id=chat_id)
