"""Forum-topic mode of the admin chat (``ADMIN_TOPICS=true``, after the Truffles peer): in a
supergroup with topics, one topic per client. The case card is pinned in the client's topic
with [Беру] / [Решено]; what the client writes during the handoff lands there; what the admin
writes there goes to the client (``AdminConsole``). The topic ↔ client mapping lives in
Redis without TTL, so a restart keeps every topic; a client's later cases reuse its topic.

Creating a topic is the one Bot API call made in the conversation's own turn (its id is
needed at once); every message goes through the outbox like any other. When a topic cannot
be created (the group has no topics, the bot lacks the right, Telegram is down) the card goes
to the admin chat with the ``/reply`` hints instead: a case is never lost to a topic problem.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from redis.asyncio import Redis

from dancebot.adapters.storage.keys import RedisKeys
from dancebot.dialogue import admin_texts as A
from dancebot.dialogue.admin import case_buttons
from dancebot.domain.messages import Button, Channel, OutboundMessage
from dancebot.ports.channels import ChannelError
from dancebot.ports.outbox import AdminDesk, ClientRef, Outbox

log = structlog.get_logger(__name__)


class TopicCreator(Protocol):
    async def create_topic(self, chat_id: str, name: str) -> int:
        """Raises ``ChannelError``."""
        ...


class AdminTopicStore:
    """topic ↔ client in Redis (no TTL). Raises ``RedisError``."""

    def __init__(self, redis: Redis, *, keys: RedisKeys, admin_chat_id: str) -> None:
        self._redis = redis
        self._keys = keys
        self._chat = admin_chat_id

    async def thread_of(self, client: ClientRef) -> int | None:
        raw = await self._redis.get(self._keys.admin_topic(self._chat, client.key))
        return int(raw) if raw is not None else None

    async def client_in(self, thread_id: int) -> ClientRef | None:
        raw = await self._redis.get(self._keys.admin_topic_client(self._chat, thread_id))
        if raw is None:
            return None
        return ClientRef.parse(raw.decode() if isinstance(raw, bytes) else str(raw))

    async def remember(self, client: ClientRef, thread_id: int) -> int:
        """Keep ``thread_id`` as the client's topic unless another process was first; returns
        the topic that counts."""
        key = self._keys.admin_topic(self._chat, client.key)
        await self._redis.set(self._keys.admin_topic_client(self._chat, thread_id), client.key)
        if await self._redis.set(key, str(thread_id), nx=True):
            return thread_id
        winner = await self.thread_of(client)
        log.info("admin_topic_lost_race", thread_id=thread_id, kept=winner)
        return winner if winner is not None else thread_id


class TopicAdminDesk:
    """``AdminDesk`` with one forum topic per client; ``fallback`` (the plain admin chat)
    takes what cannot go to a topic."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        telegram: TopicCreator,
        admin_chat_id: str,
        store: AdminTopicStore,
        fallback: AdminDesk,
    ) -> None:
        self._outbox = outbox
        self._telegram = telegram
        self._chat = admin_chat_id
        self._store = store
        self._fallback = fallback

    async def open_case(
        self, client: ClientRef, *, title: str, card: str, trace_id: str | None = None
    ) -> None:
        thread_id = await self._topic(client, title=title)
        if thread_id is None:
            await self._fallback.open_case(client, title=title, card=card, trace_id=trace_id)
            return
        await self._put(
            f"{card}\n{A.topic_hint()}",
            thread_id=thread_id,
            buttons=case_buttons(client),
            pin=True,
            trace_id=trace_id,
        )
        log.info("admin_case_opened", thread_id=thread_id, channel=client.channel.value)

    async def client_wrote(
        self, client: ClientRef, *, who: str, text: str, trace_id: str | None = None
    ) -> None:
        thread_id = await self._known_topic(client)
        if thread_id is None:
            await self._fallback.client_wrote(client, who=who, text=text, trace_id=trace_id)
            return
        await self._put(f"💬 {who}: {text}", thread_id=thread_id, trace_id=trace_id)

    async def tell(
        self, client: ClientRef | None, text: str, *, reply_to_callback: str | None = None
    ) -> None:
        thread_id = await self._known_topic(client) if client is not None else None
        await self._put(text, thread_id=thread_id, reply_to_callback=reply_to_callback)

    async def client_in(self, thread_id: int) -> ClientRef | None:
        return await self._store.client_in(thread_id)

    async def _known_topic(self, client: ClientRef) -> int | None:
        try:
            return await self._store.thread_of(client)
        except Exception as exc:  # Redis trouble: the admin chat itself still works
            log.warning("admin_topic_lookup_failed", error_type=type(exc).__name__)
            return None

    async def _topic(self, client: ClientRef, *, title: str) -> int | None:
        known = await self._known_topic(client)
        if known is not None:
            return known
        try:
            created = await self._telegram.create_topic(self._chat, title)
            return await self._store.remember(client, created)
        except ChannelError as exc:
            log.warning("admin_topic_not_created", reason=str(exc)[:200])
        except Exception as exc:
            log.warning("admin_topic_store_failed", error_type=type(exc).__name__)
        return None

    async def _put(
        self,
        text: str,
        *,
        thread_id: int | None,
        buttons: tuple[Button, ...] = (),
        pin: bool = False,
        trace_id: str | None = None,
        reply_to_callback: str | None = None,
    ) -> None:
        await self._outbox.put(
            OutboundMessage(
                channel=Channel.TELEGRAM,
                chat_id=self._chat,
                text=text,
                buttons=buttons,
                thread_id=thread_id,
                pin=pin,
                trace_id=trace_id,
                reply_to_callback=reply_to_callback,
            )
        )
