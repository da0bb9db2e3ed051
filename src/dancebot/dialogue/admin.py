"""The admin chat's commands (contract §14, RFC §12): ``/reply {chat_id} text``,
``/close {chat_id}``, ``/fallback``, ``/done N``. Only the configured admin chat reaches
this; a client typing ``/reply`` is ignored and logged (see the router)."""

from __future__ import annotations

import re

import structlog

from dancebot.dialogue import replies as R
from dancebot.dialogue.fit import fit
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel, OutboundMessage, new_trace_id
from dancebot.domain.session import Session, Slots
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier, Outbox
from dancebot.ports.storage import FallbackQueue, SessionStore

log = structlog.get_logger(__name__)

ADMIN_COMMAND = re.compile(r"^/(reply|close|fallback|done)\b", re.IGNORECASE)
_REPLY = re.compile(r"^/reply(?:@\w+)?\s+(\S+)\s+(.+)$", re.IGNORECASE | re.DOTALL)
_CLOSE = re.compile(r"^/close(?:@\w+)?\s+(\S+)\s*$", re.IGNORECASE)
_DONE = re.compile(r"^/done(?:@\w+)?\s+#?(\d+)\s*$", re.IGNORECASE)
_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.CONSOLE)


def is_admin_command(text: str) -> bool:
    return ADMIN_COMMAND.match(text.strip()) is not None


class AdminConsole:
    def __init__(
        self,
        *,
        sessions: SessionStore,
        outbox: Outbox,
        admin: AdminNotifier,
        fallback: FallbackQueue,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._admin = admin
        self._fallback = fallback
        self._clock = clock

    async def handle(self, text: str) -> str:
        """Carry out one admin command; returns what happened (for the log and tests).
        Anything that is not a command is answered with the list of commands."""
        text = text.strip()
        if m := _REPLY.match(text):
            return await self._reply(m.group(1), m.group(2).strip())
        if m := _CLOSE.match(text):
            return await self._close(m.group(1))
        if text.lower().startswith("/fallback"):
            return await self._list_fallback()
        if m := _DONE.match(text):
            return await self._done(int(m.group(1)))
        await self._admin.notify_admin(R.admin_help())
        return "help"

    async def _reply(self, chat_id: str, text: str) -> str:
        session = await self._find(chat_id)
        if session is None:
            await self._admin.notify_admin(f"Чат {chat_id} не найден (нет активной сессии).")
            return "unknown_chat"
        now = self._clock.now()
        if session.state != State.ADMIN_RESPONDING:
            if session.state != State.HANDOFF_TO_ADMIN:
                session.move_to(State.HANDOFF_TO_ADMIN, now=now)
            session.move_to(State.ADMIN_RESPONDING, now=now)
        said = R.from_admin(text)
        session.remember("admin", text, now=now)
        await self._send(session, said)
        await self._sessions.save(session)
        log.info("admin_replied", chat_id=chat_id, channel=session.channel.value)
        return "relayed"

    async def _close(self, chat_id: str) -> str:
        session = await self._find(chat_id)
        if session is None:
            await self._admin.notify_admin(f"Чат {chat_id} не найден (нет активной сессии).")
            return "unknown_chat"
        now = self._clock.now()
        session.move_to(State.IDLE, now=now)
        session.slots = Slots(
            client_name=session.slots.client_name, client_phone=session.slots.client_phone
        )
        await self._send(session, R.admin_closed())
        await self._sessions.save(session)
        await self._admin.notify_admin(f"Диалог с чатом {chat_id} закрыт, бот снова отвечает сам.")
        return "closed"

    async def _list_fallback(self) -> str:
        pending = await self._fallback.pending()
        now = self._clock.now()
        if not pending:
            await self._admin.notify_admin("Очередь заявок пуста ✅")
            return "fallback_empty"
        lines = [f"Заявки в очереди: {len(pending)}"]
        for entry in pending:
            waited = int((now - entry.created_at).total_seconds() // 60)
            lines.append(
                f"#{entry.id} {entry.attendee_name or entry.client_name}, {entry.client_phone} — "
                f"{entry.lesson_label} (ждёт {waited} мин, попыток {entry.attempts})"
            )
        lines.append("Закрыть: /done N")
        await self._admin.notify_admin("\n".join(lines))
        return "fallback_listed"

    async def _done(self, entry_id: int) -> str:
        entry = await self._fallback.get(entry_id)
        if entry is None or entry.status != "pending":
            await self._admin.notify_admin(f"Заявки #{entry_id} нет среди открытых.")
            return "unknown_entry"
        entry.status = "done"
        await self._fallback.update(entry)
        await self._admin.notify_admin(f"Заявка #{entry_id} закрыта ✅")
        return "done"

    async def _find(self, chat_id: str) -> Session | None:
        """The client's session on whichever channel it lives; a chat in handoff first."""
        found = [s for c in _CHANNELS if (s := await self._sessions.load(c, chat_id)) is not None]
        found.sort(key=lambda s: s.state not in (State.HANDOFF_TO_ADMIN, State.ADMIN_RESPONDING))
        return found[0] if found else None

    async def _send(self, session: Session, reply: R.Reply) -> None:
        for part in fit(reply, session.channel):
            await self._outbox.put(
                OutboundMessage(
                    channel=session.channel,
                    chat_id=session.chat_id,
                    text=part.text,
                    trace_id=new_trace_id(),
                )
            )
