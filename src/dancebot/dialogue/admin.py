"""The admin chat (contract §14, RFC §12): the commands ``/reply {chat_id} text``,
``/close {chat_id}``, ``/fallback``, ``/done N``; in forum-topic mode also the admin's plain
messages in a client's topic (relayed to the client) and the card's [Беру] / [Решено]
buttons. Only the configured admin chat reaches this; a client typing ``/reply`` is ignored
and logged (see the router).

Admin messages come through the same replay window and dedup as clients' (the durable
stream); an *edited* admin message is never carried out again — the client already has the
first version. Ordinary chatter between admins outside a client's topic is left alone."""

from __future__ import annotations

import re

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.admin_desk import PlainAdminDesk
from dancebot.dialogue.fit import fit
from dancebot.domain.fsm import State
from dancebot.domain.messages import (
    Button,
    Channel,
    MessageType,
    OutboundMessage,
    UnifiedMessage,
    new_trace_id,
)
from dancebot.domain.session import Session, Slots
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminDesk, AdminNotifier, ClientRef, Outbox
from dancebot.ports.storage import FallbackQueue, SessionStore

log = structlog.get_logger(__name__)

ADMIN_COMMAND = re.compile(r"^/(reply|close|fallback|done)\b", re.IGNORECASE)
_REPLY = re.compile(r"^/reply(?:@\w+)?\s+(\S+)\s+(.+)$", re.IGNORECASE | re.DOTALL)
_CLOSE = re.compile(r"^/close(?:@\w+)?(?:\s+(\S+))?\s*$", re.IGNORECASE)
_DONE = re.compile(r"^/done(?:@\w+)?\s+#?(\d+)\s*$", re.IGNORECASE)
_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.CONSOLE)
TAKE, RESOLVE = "adm:take:", "adm:done:"  # the card's buttons: prefix + ClientRef.key


def case_buttons(client: ClientRef) -> tuple[Button, ...]:
    """[Беру] / [Решено] under a case card in the client's topic."""
    return (
        Button(title="Беру", payload=f"{TAKE}{client.key}"),
        Button(title="Решено", payload=f"{RESOLVE}{client.key}"),
    )


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
        desk: AdminDesk | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._admin = admin
        self._fallback = fallback
        self._clock = clock
        self._desk = desk or PlainAdminDesk(admin)

    async def handle_message(self, message: UnifiedMessage) -> str:
        """One message from the admin chat; returns what happened (for the log and tests)."""
        text = (message.text or "").strip()
        if message.is_edit:
            log.info("admin_edit_ignored", message_id=message.message_id)
            if text.startswith("/") or message.thread_id is not None:
                await self._desk.tell(await self._topic_client(message), A.edit_ignored())
            return "edit_ignored"
        if not text:
            return "ignored"
        if message.message_type == MessageType.BUTTON:
            return await self._button(text, message)
        if text.startswith("/"):
            return await self.handle(text, topic=await self._topic_client(message))
        client = await self._topic_client(message)
        if client is None:
            return "chatter_ignored"  # admins talking among themselves: not for the bot
        return await self._reply_to(client, text)

    async def _topic_client(self, message: UnifiedMessage) -> ClientRef | None:
        if message.thread_id is None:
            return None
        return await self._desk.client_in(message.thread_id)

    async def _button(self, data: str, message: UnifiedMessage) -> str:
        callback = message.callback_query_id
        for prefix, action in ((TAKE, "take"), (RESOLVE, "resolve")):
            if data.startswith(prefix) and (client := ClientRef.parse(data[len(prefix) :])):
                if action == "take":
                    return await self._take(client, admin=message.sender_name, callback=callback)
                return await self._close_client(client, callback=callback)
        log.info("admin_button_unknown", data=data[:64])
        return "ignored"

    async def _take(self, client: ClientRef, *, admin: str | None, callback: str | None) -> str:
        session = await self._sessions.load(client.channel, client.chat_id)
        if session is None:
            await self._desk.tell(
                client, A.unknown_chat(client.chat_id), reply_to_callback=callback
            )
            return "unknown_chat"
        self._to_admin(session)
        await self._sessions.save(session)
        await self._desk.tell(client, A.took(admin), reply_to_callback=callback)
        return "taken"

    async def handle(self, text: str, *, topic: ClientRef | None = None) -> str:
        """Carry out one admin command; returns what happened (for the log and tests).
        An unknown ``/command`` is answered with the list of commands; anything that is not a
        command is left alone. In a client's topic ``/close`` needs no chat id."""
        text = text.strip()
        if m := _REPLY.match(text):
            return await self._reply(m.group(1), m.group(2).strip())
        if m := _CLOSE.match(text):
            if m.group(1) is None:
                if topic is None:
                    await self._desk.tell(None, A.help())
                    return "help"
                return await self._close_client(topic)
            return await self._close(m.group(1))
        if text.lower().startswith("/fallback"):
            return await self._list_fallback()
        if m := _DONE.match(text):
            return await self._done(int(m.group(1)))
        if not text.startswith("/"):
            return "chatter_ignored"
        await self._desk.tell(topic, A.help())
        return "help"

    async def _reply(self, chat_id: str, text: str) -> str:
        session = await self._find(chat_id)
        if session is None:
            await self._admin.notify_admin(A.unknown_chat(chat_id))
            return "unknown_chat"
        return await self._relay(session, text)

    async def _reply_to(self, client: ClientRef, text: str) -> str:
        session = await self._sessions.load(client.channel, client.chat_id)
        if session is None:
            await self._desk.tell(client, A.unknown_chat(client.chat_id))
            return "unknown_chat"
        return await self._relay(session, text)

    def _to_admin(self, session: Session) -> None:
        now = self._clock.now()
        if session.state != State.ADMIN_RESPONDING:
            if session.state != State.HANDOFF_TO_ADMIN:
                session.move_to(State.HANDOFF_TO_ADMIN, now=now)
            session.move_to(State.ADMIN_RESPONDING, now=now)

    async def _relay(self, session: Session, text: str) -> str:
        self._to_admin(session)
        session.remember("admin", text, now=self._clock.now())
        await self._send(session, R.from_admin(text))
        await self._sessions.save(session)
        log.info("admin_replied", chat_id=session.chat_id, channel=session.channel.value)
        return "relayed"

    async def _close(self, chat_id: str) -> str:
        session = await self._find(chat_id)
        if session is None:
            await self._admin.notify_admin(A.unknown_chat(chat_id))
            return "unknown_chat"
        return await self._closed(session)

    async def _close_client(self, client: ClientRef, *, callback: str | None = None) -> str:
        session = await self._sessions.load(client.channel, client.chat_id)
        if session is None:
            await self._desk.tell(
                client, A.unknown_chat(client.chat_id), reply_to_callback=callback
            )
            return "unknown_chat"
        return await self._closed(session, callback=callback)

    async def _closed(self, session: Session, *, callback: str | None = None) -> str:
        session.move_to(State.IDLE, now=self._clock.now())
        session.slots = Slots(
            client_name=session.slots.client_name, client_phone=session.slots.client_phone
        )
        await self._send(session, R.admin_closed())
        await self._sessions.save(session)
        client = ClientRef(session.channel, session.chat_id)
        await self._desk.tell(client, A.case_closed(session.chat_id), reply_to_callback=callback)
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
