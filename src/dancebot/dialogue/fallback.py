"""The booking fallback queue (RFC §21, contract §13): a booking that cannot reach the CRM is
kept durably, the client hears the truth, the admin gets a card; when the CRM is back the
request is booked automatically (with its own idempotency) and the client is told.

Retry passes run one at a time (a lock shared by every process); each entry is claimed and
re-read before it is booked and settled only while still pending, so a stalled pass with a
stale list books nothing twice and tells nobody twice (D21). A reservation that already
exists — a late answer to a timed-out turn, the admin's own booking — settles the entry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply, lesson_line
from dancebot.domain.booking import booking_fingerprint
from dancebot.domain.crm import Lesson, LessonRef
from dancebot.domain.errors import (
    AlreadyBooked,
    CrmError,
    CrmRefusal,
    CrmUnavailable,
    LessonFull,
    LessonInPast,
    NotFound,
)
from dancebot.domain.messages import OutboundMessage, new_trace_id
from dancebot.domain.privacy import mask_phone
from dancebot.domain.session import Session
from dancebot.nlu.phone import display_phone
from dancebot.ports.audit import AuditLog, BookingAttemptRecord
from dancebot.ports.channels import ReminderRequest, ReminderScheduler
from dancebot.ports.clock import Clock
from dancebot.ports.crm import CRM
from dancebot.ports.outbox import AdminNotifier, Outbox
from dancebot.ports.storage import FallbackEntry, FallbackQueue

log = structlog.get_logger(__name__)

RETRY_EVERY = timedelta(minutes=1)
# a pass books at most a few entries, each within the CRM client's timeout and retries
PASS_LOCK_SECONDS = 300.0
CLAIM_SECONDS = 300.0


async def queue_booking(ctx: TurnContext, lesson: Lesson, *, reason: str) -> Reply:
    """Keep the request, tell the admin, and say honestly what happens next."""
    return await queue_request(ctx, lesson.ref, lesson_line(lesson), reason=reason)


async def queue_request(ctx: TurnContext, ref: LessonRef, label: str, *, reason: str) -> Reply:
    """``queue_booking`` for a lesson known only by its reference and label (the CRM could
    not be read). The same chat's request for the same lesson is queued once."""
    entry = entry_for(
        ctx.session,
        ref.schedule_id,
        ref.date,
        label,
        now=ctx.now,
        reason=reason,
        trace_id=ctx.message.trace_id,
    )
    if not await _queued_already(ctx.deps.fallback, entry):
        await queue_entry(ctx.deps.fallback, ctx.deps.admin, entry)
    return R.fallback_queued()


async def _queued_already(queue: FallbackQueue, entry: FallbackEntry) -> bool:
    def same(other: FallbackEntry) -> bool:
        return (other.channel, other.chat_id, other.schedule_id, other.lesson_date) == (
            entry.channel,
            entry.chat_id,
            entry.schedule_id,
            entry.lesson_date,
        )

    return any(same(other) for other in await queue.pending())


def entry_for(
    session: Session,
    schedule_id: int,
    lesson_date: date,
    label: str,
    *,
    now: datetime,
    reason: str,
    trace_id: str | None,
) -> FallbackEntry:
    slots = session.slots
    return FallbackEntry(
        created_at=now,
        channel=session.channel,
        chat_id=session.chat_id,
        client_name=slots.client_name or "",
        client_phone=slots.client_phone or "",
        attendee_name=slots.attendee_name,
        service_id=slots.service_id,
        schedule_id=schedule_id,
        lesson_date=lesson_date,
        lesson_label=label,
        reason=reason,
        trace_id=trace_id,
    )


async def queue_entry(
    queue: FallbackQueue, admin: AdminNotifier, entry: FallbackEntry
) -> FallbackEntry:
    stored = await queue.add(entry)
    await admin.notify_admin(entry_card(stored), trace_id=entry.trace_id)
    log.info(
        "fallback_queued",
        entry=stored.id,
        reason=entry.reason,
        phone=mask_phone(entry.client_phone),
    )
    return stored


def entry_card(entry: FallbackEntry) -> str:
    who = (
        f"{entry.attendee_name} (контакт {entry.client_name})"
        if entry.attendee_name
        else entry.client_name
    )
    return (
        f"📝 Заявка #{entry.id} ждёт записи (CRM недоступна: {entry.reason})\n"
        f"{who}, {display_phone(entry.client_phone)} · {entry.channel.value} · "
        f"чат {entry.chat_id}\n"
        f"{entry.lesson_label}\n"
        f"Запишу сама, когда CRM заработает. Записали вручную — /done {entry.id}"
    )


class FallbackRetrier:
    """Due work: every minute, try the pending requests again while any wait."""

    def __init__(
        self,
        queue: FallbackQueue,
        *,
        crm: CRM,
        clock: Clock,
        outbox: Outbox,
        admin: AdminNotifier,
        reminders: ReminderScheduler,
        address: str,
        pass_lock_seconds: float = PASS_LOCK_SECONDS,
        audit: AuditLog | None = None,
    ) -> None:
        self._pass_lock_seconds = pass_lock_seconds
        self._queue = queue
        self._audit = audit  # the retried attempt is a booking attempt like any other
        self._crm = crm
        self._clock = clock
        self._outbox = outbox
        self._admin = admin
        self._reminders = reminders
        self._address = address

    async def next_due_at(self) -> datetime | None:
        due = [_due(e) for e in await self._queue.pending()]
        return min(due, default=None)

    async def run_due(self, now: datetime) -> int:
        """Retry what is due; everything at once when the CRM answers its health check again
        (recovery must not wait for each entry's next minute). Another pass running (in this
        process or another) makes this one do nothing."""
        if not await self._queue.pending():
            return 0
        token = await self._queue.lock_retry_pass(self._pass_lock_seconds)
        if token is None:
            return 0
        try:
            return await self._pass(now)
        finally:
            await self._queue.unlock_retry_pass(token)

    async def _pass(self, now: datetime) -> int:
        pending = await self._queue.pending()
        back = bool(pending) and await self._crm.health_check()
        changed = 0
        for listed in pending:
            if not (back or _due(listed) <= now):
                continue
            claimed = await self._queue.claim(listed.id, CLAIM_SECONDS)
            if claimed is None:  # settled or being booked meanwhile: the list was stale
                continue
            token, entry = claimed
            try:
                changed += await self._retry(entry, now)
            finally:
                await self._queue.release(entry.id, token)
        return changed

    async def _retry(self, entry: FallbackEntry, now: datetime) -> int:
        ref = LessonRef(schedule_id=entry.schedule_id, date=entry.lesson_date)
        try:
            client = await self._client_id(entry)
            booking_id = await self._book(client, ref)
        except CrmUnavailable as exc:
            entry.attempts += 1
            entry.last_attempt_at, entry.last_error = now, type(exc).__name__
            await self._queue.update_if_pending(entry)
            return 0  # nothing changed for anyone: wait for the next minute
        except CrmRefusal as exc:
            return await self._refused(entry, now, exc)
        entry.status, entry.crm_booking_id, entry.last_attempt_at = "booked", booking_id, now
        if not await self._queue.update_if_pending(entry):
            return 0  # the admin closed it meanwhile (/done): they have told the client
        await self._record(entry, "created" if booking_id else "already_booked", now, booking_id)
        await self._tell(entry, R.fallback_booked(entry.lesson_label, address=self._address).text)
        await self._admin.notify_admin(A.fallback_booked(entry.id))
        if booking_id is not None:
            await self._plan_reminders(entry, booking_id, client)
        log.info("fallback_booked", entry=entry.id, attempts=entry.attempts + 1)
        return 1

    async def _book(self, client_id: int, ref: LessonRef) -> int | None:
        """The reservation's id: one that exists already (a late answer to a timed-out turn,
        the admin's own booking) or a new one. None when the CRM says "already booked" but
        does not list it. Raises ``CrmError``."""
        existing = await self._existing(client_id, ref)
        if existing is not None:
            return existing
        try:
            return (await self._crm.create_booking(client_id=client_id, lesson=ref)).id
        except AlreadyBooked:
            return await self._existing(client_id, ref)

    async def _existing(self, client_id: int, ref: LessonRef) -> int | None:
        bookings = await self._crm.list_bookings(client_id=client_id, date_from=ref.date)
        return next((b.id for b in bookings if b.ref == ref), None)

    async def _refused(self, entry: FallbackEntry, now: datetime, exc: CrmError) -> int:
        entry.status, entry.last_attempt_at, entry.last_error = "refused", now, type(exc).__name__
        if not await self._queue.update_if_pending(entry):
            return 0
        await self._record(entry, _REFUSALS.get(type(exc), "refused"), now, None)
        await self._tell(entry, R.fallback_refused(entry.lesson_label).text)
        await self._admin.notify_admin(
            A.fallback_refused(entry.id, type(exc).__name__, entry.client_phone, entry.chat_id)
        )
        return 1

    async def _record(
        self, entry: FallbackEntry, outcome: str, now: datetime, booking_id: int | None
    ) -> None:
        if self._audit is None:
            return
        await self._audit.record_booking_attempt(
            BookingAttemptRecord(
                trace_id=entry.trace_id or new_trace_id(),
                channel=entry.channel,
                chat_id=entry.chat_id,
                fingerprint=booking_fingerprint(
                    entry.client_phone, entry.schedule_id, entry.lesson_date
                ),
                schedule_id=entry.schedule_id,
                lesson_date=entry.lesson_date,
                client_phone_masked=mask_phone(entry.client_phone),
                outcome=outcome,
                at=now,
                crm_booking_id=booking_id,
            )
        )

    async def _client_id(self, entry: FallbackEntry) -> int:
        name = entry.attendee_name or entry.client_name
        client = await self._crm.find_client(entry.client_phone, name=name)
        if client is None and entry.attendee_name is None:
            client = await self._crm.find_client(entry.client_phone)
        client = client or await self._crm.create_client(name=name, phone=entry.client_phone)
        return client.id

    async def _plan_reminders(self, entry: FallbackEntry, booking_id: int, client_id: int) -> None:
        try:
            lessons = await self._crm.get_schedule(
                date_from=entry.lesson_date, date_to=entry.lesson_date
            )
        except CrmError:
            return
        lesson = next((x for x in lessons if x.schedule_id == entry.schedule_id), None)
        if lesson is None:
            return
        await self._reminders.schedule_for(
            booking_id=booking_id,
            reminder=ReminderRequest(
                channel=entry.channel,
                chat_id=entry.chat_id,
                client_id=client_id,
                client_name=entry.attendee_name or entry.client_name,
                client_phone=entry.client_phone,
                schedule_id=lesson.schedule_id,
                lesson_title=lesson.group_name,
                lesson_start_iso=lesson.start.isoformat(),
            ),
        )

    async def _tell(self, entry: FallbackEntry, text: str) -> None:
        await self._outbox.put(
            OutboundMessage(
                channel=entry.channel, chat_id=entry.chat_id, text=text, trace_id=new_trace_id()
            )
        )


_REFUSALS: dict[type[CrmError], str] = {
    LessonFull: "full",
    LessonInPast: "in_past",
    NotFound: "not_found",
}


def _due(entry: FallbackEntry) -> datetime:
    return entry.last_attempt_at + RETRY_EVERY if entry.last_attempt_at else entry.created_at
