"""FSM timeouts (RFC §7.3, contract §7): what is due for a session, and when.

``due_action`` is pure: given a session and the time, it says what should happen and
``next_due`` says when something will. The sweeper applies them to every stored session; the
worker runs it every minute and ``dancebot eval`` runs it at each due instant of virtual time.
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
from dancebot.domain.messages import OutboundMessage, new_trace_id
from dancebot.domain.session import Session, Slots
from dancebot.ports.crm import CRM
from dancebot.ports.outbox import AdminNotifier, Outbox
from dancebot.ports.storage import FallbackQueue, SessionStore

log = structlog.get_logger(__name__)

SESSION_IDLE_RESET = timedelta(hours=24)
CONFIRM_REPROMPT = timedelta(hours=1)
CONFIRM_RESET = timedelta(hours=3)
BOOKING_IN_PROGRESS_LIMIT = timedelta(seconds=30)
BOOKING_DONE_LINGER = timedelta(seconds=5)
ADMIN_SECOND_ALERT = timedelta(hours=2)
ADMIN_GIVE_UP = timedelta(hours=4)


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


class TimeoutSweeper:
    """Applies due timeouts to stored sessions. Safe to run from several processes: each
    session is re-read and acted on only when its timeout is still due."""

    def __init__(
        self,
        sessions: SessionStore,
        *,
        outbox: Outbox,
        admin: AdminNotifier,
        crm: CRM,
        fallback: FallbackQueue,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._admin = admin
        self._crm = crm
        self._fallback = fallback

    async def next_due_at(self) -> datetime | None:
        times = [d.at async for s in self._sessions.scan() if (d := next_due(s)) is not None]
        return min(times, default=None)

    async def run_due(self, now: datetime) -> int:
        """Apply every timeout due at ``now``; returns how many sessions changed."""
        changed = 0
        async for session in self._sessions.scan():
            action = due_action(session, now)
            if action is None:
                continue
            await self._apply(session, action, now)
            await self._sessions.save(session)
            changed += 1
        return changed

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
