"""Inbound processing in front of the engine (contract §8, RFC §7.2): dedup, then one chat at
a time and in order.

Whoever holds a chat's lock handles the chat's messages: the one it arrived with, then the
chat's queue, so a message that arrives while a booking is in progress waits in the queue and
is handled after it (CC-13).
The channels' webhooks, the durable stream and the spam filter wrap this; the console channel
and ``dancebot eval`` call it directly.
"""

from __future__ import annotations

import structlog

from dancebot.dialogue.admin import AdminConsole
from dancebot.dialogue.engine import ConversationEngine
from dancebot.domain.messages import Channel, OutboundMessage, UnifiedMessage
from dancebot.ports.storage import Arrival, ChatGate, InboundDedup

log = structlog.get_logger(__name__)


class InboundPipeline:
    def __init__(
        self,
        engine: ConversationEngine,
        *,
        dedup: InboundDedup,
        gate: ChatGate,
        admin_console: AdminConsole | None = None,
    ) -> None:
        self._engine = engine
        self._dedup = dedup
        self._gate = gate
        self._admin_console = admin_console

    async def handle_admin(self, text: str) -> str:
        """A command from the studio's admin chat (/reply, /close, …), as typed."""
        if self._admin_console is None:
            log.warning("admin_command_without_console")
            return "unsupported"
        return await self._admin_console.handle(text)

    async def handle_admin_message(self, message: UnifiedMessage) -> str:
        """A message from the admin chat, already past the replay window and dedup (the
        durable stream): commands, a relay from a client's topic, a card's button."""
        if self._admin_console is None:
            log.warning("admin_command_without_console")
            return "unsupported"
        outcome = await self._admin_console.handle_message(message)
        log.info("admin_message_handled", outcome=outcome, trace_id=message.trace_id)
        return outcome

    async def handle(self, message: UnifiedMessage) -> list[OutboundMessage]:
        """The replies produced while this call held the chat (none for a duplicate, or when
        another consumer holds the chat and will handle this message in its turn)."""
        if not await self._dedup.first_seen(message.channel, message.dedup_key):
            log.info(
                "inbound_duplicate_dropped",
                message_id=message.message_id,
                trace_id=message.trace_id,
            )
            return []
        return await self.process(message)

    async def process(self, message: UnifiedMessage) -> list[OutboundMessage]:
        """Handle a message already deduplicated (the durable stream did it at ingest)."""
        arrival = await self._gate.arrive(message)
        if arrival is None:
            return []  # the holder handles the queue, ours included
        return await self._drain(message.channel, message.chat_id, arrival)

    async def _drain(
        self, channel: Channel, chat_id: str, arrival: Arrival
    ) -> list[OutboundMessage]:
        replies: list[OutboundMessage] = []
        token = arrival.token
        try:
            replies += await self._turn(arrival.first)
            # the gate lets go of the chat when it finds the queue empty, in the same step
            while (queued := await self._gate.next_or_leave(channel, chat_id, token)) is not None:
                replies += await self._turn(queued)
        except BaseException:
            await self._gate.leave(channel, chat_id, token)
            raise
        return replies

    async def _turn(self, message: UnifiedMessage) -> list[OutboundMessage]:
        if message.from_admin_chat:  # one at a time and in order, like a client's
            await self.handle_admin_message(message)
            return []
        return await self._engine.handle(message)
