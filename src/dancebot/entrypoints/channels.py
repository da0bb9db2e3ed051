"""The channel senders and the admin chat, built from settings — shared by the app and the
worker. A channel whose credentials are unset is disabled (DESIGN §11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from dancebot.adapters.channels.admin_chat import LoggedAdminNotifier, TelegramAdminChat
from dancebot.adapters.channels.admin_topics import AdminTopicStore, TopicAdminDesk
from dancebot.adapters.channels.telegram.sender import TelegramSender
from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.dialogue.admin_desk import PlainAdminDesk
from dancebot.domain.messages import Channel
from dancebot.entrypoints.settings import ConfigurationError, Settings
from dancebot.ports.channels import ChannelSender
from dancebot.ports.outbox import AdminDesk, AdminNotifier, ClientRef, Outbox

__all__ = [
    "AdminDeskProxy",
    "AdminProxy",
    "Channels",
    "ConfigurationError",
    "admin_chat_id",
    "open_channels",
]


@dataclass
class Channels:
    telegram: TelegramSender | None
    whatsapp: WhatsAppSender | None
    senders: dict[Channel, ChannelSender] = field(default_factory=dict)


@asynccontextmanager
async def open_channels(settings: Settings) -> AsyncIterator[Channels]:
    telegram = None
    if settings.telegram_bot_token is not None:
        telegram = TelegramSender.connect(
            settings.telegram_bot_token.get_secret_value(), api_base=settings.telegram_api_base
        )
    async with httpx.AsyncClient() as http:
        whatsapp = None
        if settings.whatsapp_token and settings.whatsapp_phone_number_id:
            whatsapp = WhatsAppSender(
                http,
                token=settings.whatsapp_token.get_secret_value(),
                phone_number_id=settings.whatsapp_phone_number_id,
                api_base=settings.whatsapp_api_base,
            )
        senders: dict[Channel, ChannelSender] = {}
        if telegram is not None:
            senders[Channel.TELEGRAM] = telegram
        if whatsapp is not None:
            senders[Channel.WHATSAPP] = whatsapp
        try:
            yield Channels(telegram=telegram, whatsapp=whatsapp, senders=senders)
        finally:
            if telegram is not None:
                await telegram.close()


def admin_chat_id(settings: Settings, kb_admin: int | None) -> str | None:
    chosen = settings.telegram_admin_chat_id or kb_admin
    return str(chosen) if chosen is not None else None


class AdminProxy:
    """The ``AdminNotifier`` handed to the engine before the KB (and so the admin chat id) is
    known; pointed at the real admin chat once it is."""

    def __init__(self) -> None:
        self.target: AdminNotifier = LoggedAdminNotifier()

    def point_at(self, outbox: Outbox, *, chat_id: str | None, channels: Channels) -> None:
        if chat_id is not None and channels.telegram is not None:
            self.target = TelegramAdminChat(outbox, chat_id=chat_id)

    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        await self.target.notify_admin(text, trace_id=trace_id)


class AdminDeskProxy:
    """The ``AdminDesk`` handed to the engine before the admin chat is known: the plain admin
    chat (through ``admin``) until ``point_at`` switches on forum topics (``ADMIN_TOPICS``)."""

    def __init__(self, admin: AdminNotifier) -> None:
        self._plain = PlainAdminDesk(admin)
        self.target: AdminDesk = self._plain

    def point_at(
        self,
        settings: Settings,
        *,
        outbox: Outbox,
        chat_id: str | None,
        channels: Channels,
        redis: Any,
        keys: RedisKeys,
    ) -> None:
        if not settings.admin_topics or chat_id is None or channels.telegram is None:
            return
        self.target = TopicAdminDesk(
            outbox=outbox,
            telegram=channels.telegram,
            admin_chat_id=chat_id,
            store=AdminTopicStore(redis, keys=keys, admin_chat_id=chat_id),
            fallback=self._plain,
        )

    async def open_case(
        self, client: ClientRef, *, title: str, card: str, trace_id: str | None = None
    ) -> None:
        await self.target.open_case(client, title=title, card=card, trace_id=trace_id)

    async def client_wrote(
        self, client: ClientRef, *, who: str, text: str, trace_id: str | None = None
    ) -> None:
        await self.target.client_wrote(client, who=who, text=text, trace_id=trace_id)

    async def tell(
        self, client: ClientRef | None, text: str, *, reply_to_callback: str | None = None
    ) -> None:
        await self.target.tell(client, text, reply_to_callback=reply_to_callback)

    async def client_in(self, thread_id: int) -> ClientRef | None:
        return await self.target.client_in(thread_id)
