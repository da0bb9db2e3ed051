"""FSM timeouts (RFC §7.3, contract §7): what is due for a session, and when.

``due_action`` is pure: given a session and the time, it says what should happen and
``next_due`` says when something will. The session store keeps every session's next due time
in an index as it saves it (``TIMEOUT_POLICY``, D66); the sweeper reads only the sessions the
index says are due. The worker runs it every few seconds and ``dancebot eval`` at each due
instant of virtual time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.fallback import entry_for, queue_entry
from dancebot.dialogue.fit import fit
from dancebot.domain.errors import CrmError
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel, OutboundMessage, new_trace_id
from dancebot.domain.session import Session, Slots
from dancebot.ports.crm import CRM
from dancebot.ports.outbox import AdminNotifier, Outbox
from dancebot.ports.storage import DuePolicy, FallbackQueue, SessionDueIndex, SessionStore

log = structlog.get_logger(__name__)

SESSION_IDLE_RESET = timedelta(hours=24)
CONFIRM_REPROMPT = timedelta(hours=1)
CONFIRM_RESET = timedelta(hours=3)
BOOKING_IN_PROGRESS_LIMIT = timedelta(seconds=30)
BOOKING_DONE_LINGER = timedelta(seconds=5)
ADMIN_SECOND_ALERT = timedelta(hours=2)
ADMIN_GIVE_UP = timedelta(hours=4)

DUE_BATCH = 100  # index entries read per round trip
CLAIM_SECONDS = 300  # longer than acting on one session (two CRM calls, the outbox)


class TimeoutAction(StrEnum):
    REPROMPT = "reprompt"
    RESET_WITH_NOTICE = "reset_with_notice"
    RESET_SILENTLY = "reset_silently"
    BOOKING_STUCK = "booking_stuck"
    ADMIN_SECOND_ALERT = "admin_second_alert"
    ADMIN_GAVE_UP = "admin_gave_up"


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    action: TimeoutAction


def next_due(session: Session) -> Due | None:
    """The session's next timeout, if any (admin states belong to the handoff timeouts)."""
    state = session.state
    if state == State.IDLE:
        return None
    if state == State.HANDOFF_TO_ADMIN and not session.nudged:
        return Due(session.state_since + ADMIN_SECOND_ALERT, TimeoutAction.ADMIN_SECOND_ALERT)
    if state in (State.HANDOFF_TO_ADMIN, State.ADMIN_RESPONDING):
        return Due(
            max(session.state_since, session.updated_at) + ADMIN_GIVE_UP,
            TimeoutAction.ADMIN_GAVE_UP,
        )
    if state == State.BOOKING_IN_PROGRESS:
        return Due(session.state_since + BOOKING_IN_PROGRESS_LIMIT, TimeoutAction.BOOKING_STUCK)
    if state == State.BOOKING_DONE:
        return Due(session.state_since + BOOKING_DONE_LINGER, TimeoutAction.RESET_SILENTLY)
    if state == State.CONFIRM_BOOKING:
        if not session.nudged:
            return Due(session.state_since + CONFIRM_REPROMPT, TimeoutAction.REPROMPT)
        return Due(session.state_since + CONFIRM_RESET, TimeoutAction.RESET_WITH_NOTICE)
    return Due(session.updated_at + SESSION_IDLE_RESET, TimeoutAction.RESET_SILENTLY)


def due_action(session: Session, now: datetime) -> TimeoutAction | None:
    due = next_due(session)
    return due.action if due is not None and due.at <= now else None


def due_at(session: Session) -> datetime | None:
    """When the session's next timeout is due (the due index's score)."""
    due = next_due(session)
    return due.at if due is not None else None


# What the session store indexes. Bump the version when a change to ``next_due`` can make a
# session due earlier than before: the index is then rebuilt at the next start.
TIMEOUT_POLICY = DuePolicy(due_at=due_at, version=1)


class TimeoutSweeper:
    """Applies due timeouts to stored sessions, found through the due index (D66).

    Safe to run from several processes: a sweep claims a chat before reading its session and
    acts only if the session it read is still due, so two sweeps never act on one session
    for the same timeout. A chat another sweep holds is left to it."""

    def __init__(
        self,
        sessions: SessionStore,
        *,
        index: SessionDueIndex,
        outbox: Outbox,
        admin: AdminNotifier,
        crm: CRM,
        fallback: FallbackQueue,
    ) -> None:
        self._sessions = sessions
        self._index = index
        self._outbox = outbox
        self._admin = admin
        self._crm = crm
        self._fallback = fallback

    async def next_due_at(self) -> datetime | None:
        return await self._index.first_due_at()

    async def run_due(self, now: datetime) -> int:
        """Apply every timeout due at ``now``; returns how many sessions changed.

        Each chat is looked at once per call: a timeout that comes due again within the call
        (after a long outage) waits for the next call, as do chats behind a full batch of
        entries that were all looked at already."""
        changed = 0
        seen: set[tuple[Channel, str]] = set()
        while True:
            batch = await self._index.due_chats(now, limit=DUE_BATCH)
            chats = [chat for chat in batch if chat not in seen]
            seen.update(chats)
            for channel, chat_id in chats:
                changed += await self._settle(channel, chat_id, now)
            if not chats or len(batch) < DUE_BATCH:
                return changed

    async def _settle(self, channel: Channel, chat_id: str, now: datetime) -> int:
        """Act on one chat the index says is due; 1 when its session changed. An entry the
        stored session does not bear out (expired, changed since) is corrected instead."""
        token = await self._index.claim(channel, chat_id, ttl_seconds=CLAIM_SECONDS)
        if token is None:
            return 0  # another sweep is on it
        try:
            session = await self._sessions.load(channel, chat_id)
            action = due_action(session, now) if session is not None else None
            if session is None or action is None:
                log.debug("timeout_entry_stale", channel=channel.value)
                await self._index.refresh(channel, chat_id)
                return 0
            await self._apply(session, action, now)
            await self._sessions.save(session)
            return 1
        finally:
            await self._index.release(channel, chat_id, token)

    async def _apply(self, session: Session, action: TimeoutAction, now: datetime) -> None:
        log.info(
            "fsm_timeout",
            action=action.value,
            state=session.state.value,
            chat_id=session.chat_id,
            channel=session.channel.value,
        )
        if action == TimeoutAction.REPROMPT:
            session.nudged = True
            await self._say(session, R.still_relevant(), now)
            return
        if action == TimeoutAction.ADMIN_SECOND_ALERT:
            session.nudged = True
            await self._admin.notify_admin(A.still_waiting(session))
            return
        if action == TimeoutAction.ADMIN_GAVE_UP:
            await self._say(session, R.admin_later(), now)
        if action == TimeoutAction.BOOKING_STUCK:
            await self._stuck_booking(session, now)
        elif action == TimeoutAction.RESET_WITH_NOTICE:
            await self._say(session, R.booking_expired(), now)
        session.move_to(State.IDLE, now=now)
        session.slots = Slots(
            client_name=session.slots.client_name, client_phone=session.slots.client_phone
        )

    async def _stuck_booking(self, session: Session, now: datetime) -> None:
        """The process died (or the CRM hung) mid-booking: look in the CRM whether the booking
        went through before telling the client anything."""
        if await self._was_booked(session):
            await self._say(session, R.booking_confirmed_late(), now)
            return
        lesson = session.slots.lesson
        if lesson is not None and session.slots.client_phone:
            await queue_entry(
                self._fallback,
                self._admin,
                entry_for(
                    session,
                    lesson.schedule_id,
                    lesson.date,
                    lesson.label,
                    now=now,
                    reason="запись прервалась (нет ответа или перезапуск)",
                    trace_id=None,
                ),
            )
        else:
            await self._admin.notify_admin(A.stuck_without_details(session))
        await self._say(session, R.booking_stuck(), now)

    async def _was_booked(self, session: Session) -> bool:
        lesson, phone = session.slots.lesson, session.slots.client_phone
        if lesson is None or phone is None:
            return False
        try:
            client = await self._crm.find_client(phone)
            if client is None:
                return False
            bookings = await self._crm.list_bookings(client_id=client.id, date_from=lesson.date)
        except CrmError as exc:
            log.warning("recovery_crm_unavailable", error=type(exc).__name__)
            return False
        return any((b.schedule_id, b.date) == (lesson.schedule_id, lesson.date) for b in bookings)

    async def _say(self, session: Session, reply: R.Reply, now: datetime) -> None:
        for part in fit(reply, session.channel):
            session.remember("bot", part.text, now=now)
            await self._outbox.put(
                OutboundMessage(
                    channel=session.channel,
                    chat_id=session.chat_id,
                    text=part.text,
                    buttons=part.buttons,
                    trace_id=new_trace_id(),
                )
            )
