"""Inbound processing in front of the engine: dedup, then the conversation (contract §8).

The channels' webhooks, the durable stream and the spam filter (issue: channels) wrap this;
the console channel and ``dancebot eval`` call it directly.
"""

from __future__ import annotations

import structlog

from dancebot.dialogue.engine import ConversationEngine
from dancebot.domain.messages import OutboundMessage, UnifiedMessage
from dancebot.ports.storage import InboundDedup

log = structlog.get_logger(__name__)


class InboundPipeline:
    def __init__(self, engine: ConversationEngine, *, dedup: InboundDedup) -> None:
        self._engine = engine
        self._dedup = dedup

    async def handle(self, message: UnifiedMessage) -> list[OutboundMessage]:
        """The replies to ``message``; none when it is a re-delivered duplicate."""
        if not await self._dedup.first_seen(message.channel, message.dedup_key):
            log.info(
                "inbound_duplicate_dropped",
                message_id=message.message_id,
                trace_id=message.trace_id,
            )
            return []
        return await self._engine.handle(message)
