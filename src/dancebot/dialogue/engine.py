"""The conversation engine: one inbound message in, the replies out, the session kept.

Deterministic given its ports: the same messages, clock and CRM data give the same replies.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.booking import past_deadline
from dancebot.dialogue.context import Deps, TurnContext
from dancebot.dialogue.fit import fit
from dancebot.dialogue.manager import route
from dancebot.dialogue.replies import Reply
from dancebot.domain.messages import OutboundMessage, UnifiedMessage
from dancebot.domain.session import Session
from dancebot.ports.audit import MessageRecord
from dancebot.ports.outbox import Outbox

log = structlog.get_logger(__name__)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def _reply_id(message: UnifiedMessage, n: int) -> str:
    """The ``n``-th reply's id, the same each time this very message is handled."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{message.trace_id}/reply/{n}").hex


class ConversationEngine:
    """Loads the chat's session, answers the message, saves the session, queues the replies.

    ``turn_deadline`` (seconds, None = none) bounds the understanding and the CRM calls of one
    turn: past it the client gets the honest fallback answer, a booking under way is queued
    (``booking.past_deadline``), and the turn ends well before the stream would reclaim it."""

    def __init__(self, deps: Deps, *, outbox: Outbox, turn_deadline: float | None = None) -> None:
        self._deps = deps
        self._outbox = outbox
        self._deadline = turn_deadline

    async def handle(self, message: UnifiedMessage) -> list[OutboundMessage]:
        deps = self._deps
        now = deps.clock.now()
        with structlog.contextvars.bound_contextvars(
            trace_id=message.trace_id, channel=message.channel.value, chat_id=message.chat_id
        ):
            session = await deps.sessions.load(message.channel, message.chat_id)
            session = session or Session.start(message.channel, message.chat_id, now=now)
            state_before = session.state
            # the inbound row is written while the turn runs, and awaited with the replies'
            inbound = asyncio.ensure_future(
                deps.audit.record_message(
                    self._record(
                        message, "in", message.text or f"<{message.message_type.value}>", session
                    )
                )
            )
            replies = [
                part
                for reply in await self._replies(message, session)
                for part in fit(reply, message.channel)
            ]
            if session.state != state_before:
                log.info(
                    "fsm_transition", state_from=state_before.value, state_to=session.state.value
                )
            for reply in replies:
                session.remember("bot", reply.text, now=deps.clock.now())
            outbound = [
                OutboundMessage(
                    channel=message.channel,
                    chat_id=message.chat_id,
                    text=reply.text,
                    buttons=reply.buttons,
                    trace_id=message.trace_id,
                    # the first reply to a button press also acknowledges the press
                    reply_to_callback=message.callback_query_id if n == 0 else None,
                    id=_reply_id(message, n),
                )
                for n, reply in enumerate(replies)
            ]
            # queued before the session is saved: a crash in between runs the turn again,
            # and its replies carry the same ids, so they are queued and sent once (D64)
            for out in outbound:
                await self._outbox.put(out)
            await deps.sessions.save(session)
            await asyncio.gather(
                inbound,
                *(
                    deps.audit.record_message(self._record(message, "out", o.text, session))
                    for o in outbound
                ),
            )
            return outbound

    async def _replies(self, message: UnifiedMessage, session: Session) -> list[Reply]:
        if not message.is_text or not (message.text or "").strip():
            return [R.text_only()]
        text = message.text or ""
        session.remember("user", text, now=self._deps.clock.now())
        ctx = TurnContext(deps=self._deps, session=session, message=message, text=text.strip())
        try:
            async with asyncio.timeout(self._deadline):
                return await self._phrased(await route(ctx), session, message.trace_id)
        except TimeoutError:
            log.warning("turn_deadline_passed", seconds=self._deadline, state=session.state.value)
            return await past_deadline(ctx)
        except Exception as exc:  # a bug must cost one reply, never the conversation
            log.exception("engine_failure", error_type=type(exc).__name__)
            await self._deps.admin.notify_admin(
                A.engine_failure(session, type(exc).__name__), trace_id=message.trace_id
            )
            return [R.internal_error()]

    async def _phrased(self, replies: list[Reply], session: Session, trace_id: str) -> list[Reply]:
        """The code-built replies in the studio's tone when an LLM phraser is configured; a
        candidate that fails the policy enforcer (or no LLM) leaves the code's text."""
        phraser = self._deps.phraser
        if phraser is None:
            return replies
        out = []
        for reply in replies:
            times = _CLOCK.findall(reply.text)
            text = await phraser.rephrase(
                reply.text,
                session=session,
                kb=self._deps.kb,
                allowed_times=times,
                trace_id=trace_id,
            )
            out.append(Reply(text, reply.buttons) if text else reply)
        return out

    def _record(
        self, message: UnifiedMessage, direction: str, text: str, session: Session
    ) -> MessageRecord:
        return MessageRecord(
            trace_id=message.trace_id,
            channel=message.channel,
            chat_id=message.chat_id,
            direction=direction,
            text=text,
            at=self._deps.clock.now(),
            message_id=message.message_id if direction == "in" else None,
            message_type=message.message_type.value if direction == "in" else "text",
            state=session.state.value,
        )
