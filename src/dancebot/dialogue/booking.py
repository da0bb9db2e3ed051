"""S2: booking one lesson — service → lesson → name and phone → summary → "да" → CRM → receipt.

Each function takes the turn, reads and updates the session's slots, and returns the replies.
CRM failures become replies with real alternatives; nothing is invented.
"""

from __future__ import annotations

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.cancel import cancel_replaced
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.fallback import queue_booking, queue_request
from dancebot.dialogue.formatting import hhmm, lesson_button, long_day
from dancebot.dialogue.replies import Reply
from dancebot.domain.booking import IDEMPOTENCY_TTL_SECONDS, booking_fingerprint
from dancebot.domain.commands import Correct, SetSlots, WhenSpec
from dancebot.domain.crm import Lesson, LessonRef
from dancebot.domain.errors import (
    AlreadyBooked,
    CrmError,
    CrmUnavailable,
    LessonFull,
    LessonInPast,
    NotFound,
)
from dancebot.domain.fsm import State
from dancebot.domain.session import OfferedLesson
from dancebot.kb.schema import Service
from dancebot.nlu.names import name_reading
from dancebot.nlu.phone import display_phone, mask_phone
from dancebot.nlu.temporal import When
from dancebot.ports.audit import BookingAttemptRecord
from dancebot.ports.channels import ReminderRequest
from dancebot.ports.storage import ClientProfile

log = structlog.get_logger(__name__)


def _service(ctx: TurnContext) -> Service | None:
    sid = ctx.session.slots.service_id
    return ctx.deps.kb.service_by_id(sid) if sid else None


async def start(ctx: TurnContext, service: Service | None, when: When | None = None) -> list[Reply]:
    """The client wants to book; ``service`` and ``when`` are what they said, if anything."""
    slots = ctx.session.slots
    take_contact(ctx)
    if service is None:
        if when is not None and not when.is_empty:
            slots.wanted = _spec(when)  # "хочу в субботу" → which style? → that Saturday
        ctx.session.move_to(State.COLLECTING_GROUP, now=ctx.now)
        return [R.ask_service(ctx.deps.kb.services)]
    if (when is None or when.is_empty) and slots.wanted is not None:
        when = ctx.resolve(slots.wanted)
    slots.wanted = None
    slots.service_id = service.id
    slots.lesson = None
    await _prefill_contact(ctx)
    return await choose_lesson(ctx, when or When())


def _spec(when: When) -> WhenSpec:
    return WhenSpec(
        day=when.day,
        days=when.days,
        at=when.at,
        not_before=when.not_before,
        not_after=when.not_after,
        weekdays=when.weekdays,
        period_start=when.period_start,
        period_end=when.period_end,
    )


async def from_schedule(ctx: TurnContext, service: Service | None) -> list[Reply]:
    """ "Записать вас?" after a schedule → "да": choose among the lessons that were shown."""
    shown = ctx.session.slots.offered
    if service is None or not shown:
        return await start(ctx, service)
    await _prefill_contact(ctx)
    ctx.session.slots.service_id = service.id
    take_contact(ctx)
    if len(shown) == 1:
        lesson = await _lesson(ctx, LessonRef(schedule_id=shown[0].schedule_id, date=shown[0].date))
        if lesson is not None and not lesson.is_full:
            return await lesson_chosen(ctx, lesson)
    try:
        upcoming = await L.upcoming_lessons(ctx, service)
    except CrmError:
        return [R.crm_unavailable_schedule()]
    wanted = {(x.schedule_id, x.date) for x in shown}
    lessons = [x for x in upcoming if (x.schedule_id, x.date) in wanted and not x.is_full]
    if not lessons:
        return await start(ctx, service)
    lessons = lessons[: L.OFFER_COUNT]
    ctx.session.slots.offered = [L.offered(x, lesson_button(x.start)) for x in lessons]
    ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
    return [R.offer_lessons(service.name, lessons)]


async def choose_lesson(ctx: TurnContext, when: When) -> list[Reply]:
    """Pick the lesson when the client's words single one out, else offer the nearest."""
    service = _service(ctx)
    if service is None:
        return await start(ctx, None)
    try:
        upcoming = await L.upcoming_lessons(ctx, service)
    except CrmError as exc:
        log.warning("schedule_unavailable", error=type(exc).__name__)
        ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
        return [R.crm_unavailable_schedule()]
    moving = ctx.session.slots.target_booking if ctx.session.slots.reschedule else None
    if moving is not None:  # never offer the lesson being moved away from
        upcoming = [
            x for x in upcoming if (x.schedule_id, x.date) != (moving.schedule_id, moving.date)
        ]
    free = L.with_places(upcoming)
    fitting = L.with_places(L.matching(upcoming, when)) if not when.is_empty else []
    if len(fitting) == 1 or (fitting and when.at is not None and when.day is not None):
        return await lesson_chosen(ctx, fitting[0])
    candidates = fitting or free
    if not candidates:
        ctx.session.move_to(State.IDLE, now=ctx.now)
        return [R.no_lessons(service.name)]
    shown = candidates[: L.OFFER_COUNT]
    ctx.session.slots.offered = [L.offered(x, lesson_button(x.start)) for x in shown]
    ctx.session.slots.lesson = None  # a "да" now can never book a lesson chosen before
    ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
    intro = None
    if _already_started(ctx, when):
        intro = R.already_started()
    elif not when.is_empty and not fitting:
        full = L.matching(upcoming, when)
        intro = R.nothing_then(
            service.name, full_only=bool(full), holiday=_holiday_message(ctx, when)
        )
    return [R.offer_lessons(service.name, shown, intro=intro)]


def _already_started(ctx: TurnContext, when: When) -> bool:
    """ "сегодня в 19" said at 19:30: that lesson has started or is over (RFC §9.4)."""
    if when.day != ctx.today or when.at is None:
        return False
    local_now = ctx.now.astimezone(ctx.deps.kb.tz)
    return when.at <= local_now.time().replace(tzinfo=None)


def _holiday_message(ctx: TurnContext, when: When) -> str | None:
    holiday = ctx.deps.kb.holiday_on(when.day) if when.day else None
    return holiday.message if holiday else None


async def pick_offered(ctx: TurnContext, index: int) -> list[Reply]:
    """The client picked one of the lessons shown, by its number (-1: the last one)."""
    offered = ctx.session.slots.offered
    if not offered or index == 0 or abs(index) > len(offered):
        return await not_picked(ctx)
    chosen = offered[index - 1] if index > 0 else offered[-1]
    return await pick_ref(ctx, LessonRef(schedule_id=chosen.schedule_id, date=chosen.date))


async def pick_ref(ctx: TurnContext, ref: LessonRef) -> list[Reply]:
    """A lesson named by its button (or its label typed out)."""
    lesson = await _lesson(ctx, ref)
    if lesson is None:
        return await choose_lesson(ctx, When())
    return await lesson_chosen(ctx, lesson)


async def not_picked(ctx: TurnContext) -> list[Reply]:
    """Nothing in the message chooses a lesson: ask again among those shown."""
    if ctx.session.slots.offered:
        return [R.pick_from_offered()]
    return await choose_lesson(ctx, When())


def offered_by_label(ctx: TurnContext) -> LessonRef | None:
    """A lesson's button title typed out instead of pressed ("Ср 04.03 19:00")."""
    text = ctx.text.strip().casefold()
    for item in ctx.session.slots.offered:
        if item.label.casefold() == text:
            return LessonRef(schedule_id=item.schedule_id, date=item.date)
    return None


async def _lesson(ctx: TurnContext, ref: LessonRef) -> Lesson | None:
    service = _service(ctx)
    if service is None:
        return None
    try:
        return await L.upcoming_lesson(ctx, service, ref)
    except CrmError:
        return None


async def lesson_chosen(ctx: TurnContext, lesson: Lesson) -> list[Reply]:
    slots = ctx.session.slots
    slots.lesson = L.offered(lesson, lesson_button(lesson.start))
    slots.offered = []
    take_contact(ctx)
    return await _next_contact_step(ctx, lesson)


async def continue_booking(ctx: TurnContext) -> list[Reply]:
    """After details were given: the next thing the booking needs (lesson, name, phone) or
    the summary."""
    slots = ctx.session.slots
    if slots.lesson is None:
        if slots.offered:
            return [R.pick_from_offered()]
        return await choose_lesson(ctx, When())
    lesson = await _chosen_lesson(ctx)
    if lesson is None:
        return await choose_lesson(ctx, When())
    return await _next_contact_step(ctx, lesson, asked_again=True)


def take_contact(ctx: TurnContext) -> bool:
    """Fill name, phone and who attends from the message's commands; True when something was
    taken. A name is kept as written; a correction replaces what was there."""
    slots = ctx.session.slots
    took = False
    for command in ctx.understanding.of_type(SetSlots, Correct):
        assert isinstance(command, SetSlots | Correct)
        if command.phone:
            slots.client_phone, slots.phone_from_channel, took = command.phone, False, True
        attendee = command.attendee if isinstance(command, SetSlots) else None
        if attendee:
            slots.attendee_name, took = attendee, True
        if command.name and command.name != slots.attendee_name:
            slots.client_name, took = command.name, True
        if isinstance(command, SetSlots) and command.same_phone is False:
            slots.client_phone, slots.phone_from_channel = None, False
    return took


async def _next_contact_step(
    ctx: TurnContext, lesson: Lesson, *, asked_again: bool = False
) -> list[Reply]:
    slots = ctx.session.slots
    ctx.session.move_to(State.COLLECTING_CONTACT, now=ctx.now)
    chosen = None if asked_again else lesson  # say which lesson was picked, once
    if not slots.client_name:
        return [R.ask_name(chosen, attendee=slots.attendee_name)]
    if not slots.client_phone:
        return [R.ask_phone(slots.client_name, chosen)]
    return await _summary(ctx, lesson)


async def _summary(ctx: TurnContext, lesson: Lesson | None = None) -> list[Reply]:
    slots = ctx.session.slots
    lesson = lesson or await _chosen_lesson(ctx)
    if lesson is None or not slots.client_name or not slots.client_phone:
        return await choose_lesson(ctx, When())
    if not slots.attendee_name and await _holds(ctx, slots.client_phone, lesson):
        _finish(ctx)
        return [R.already_booked()]
    ctx.session.move_to(State.CONFIRM_BOOKING, now=ctx.now)
    return [
        R.summary(
            name=slots.client_name,
            phone_display=display_phone(slots.client_phone),
            group=lesson.group_name,
            lesson=lesson,
            attendee=slots.attendee_name,
        )
    ]


async def _holds(ctx: TurnContext, phone: str, lesson: Lesson) -> bool:
    """The client already has this lesson: say so before a pointless summary. A CRM that
    cannot answer here is no reason to stop: the booking itself is protected anyway."""
    try:
        client = await ctx.deps.crm.find_client(phone)
        if client is None:
            return False
        bookings = await ctx.deps.crm.list_bookings(client_id=client.id, date_from=lesson.date)
    except CrmError:
        return False
    return any(b.ref == lesson.ref for b in bookings)


async def _chosen_lesson(ctx: TurnContext) -> Lesson | None:
    chosen = ctx.session.slots.lesson
    if chosen is None:
        return None
    return await _lesson(ctx, LessonRef(schedule_id=chosen.schedule_id, date=chosen.date))


async def _prefill_contact(ctx: TurnContext) -> None:
    """Returning clients (profile, 90 d) and WhatsApp senders need not type their details."""
    slots = ctx.session.slots
    if ctx.message.sender_phone and not slots.client_phone:
        slots.client_phone, slots.phone_from_channel = ctx.message.sender_phone, True
    profile = await ctx.deps.profiles.load_profile(ctx.session.channel, ctx.session.chat_id)
    if profile is not None:
        slots.client_name = slots.client_name or profile.name
        slots.client_phone = slots.client_phone or profile.phone
    if slots.client_phone and not slots.client_name:
        slots.client_name = await known_name(ctx, slots.client_phone)


async def known_name(ctx: TurnContext, phone: str) -> str | None:
    """A returning client's name: the CRM's record for the phone, else the name the WhatsApp
    profile shows when it reads as a first name. Shown in the summary, so the client can
    correct it; never asked again."""
    try:
        client = await ctx.deps.crm.find_client(phone)
    except CrmError:
        client = None
    if client is not None and client.name:
        return client.name
    sender = ctx.message.sender_name
    if ctx.message.sender_phone == phone and sender:
        first = sender.split()[0]
        return name_reading(first, capitalized=True)
    return None


def corrected_when(ctx: TurnContext, when: When) -> When:
    """ "нет, на 19" at the summary changes the time and keeps the day already chosen."""
    chosen = ctx.session.slots.lesson
    if chosen is not None and when.day is None and not when.days and not when.weekdays:
        return When(
            day=chosen.date, at=when.at, not_before=when.not_before, not_after=when.not_after
        )
    return when


async def what_to_change(ctx: TurnContext) -> list[Reply]:
    ctx.session.move_to(State.COLLECTING_CONTACT, now=ctx.now)
    return [R.what_to_change()]


async def execute(ctx: TurnContext) -> list[Reply]:
    """Reserve the lesson in the CRM, exactly once (idempotency lock before the CRM call).

    The client said "да" to the lesson in the session's slots: from here the request is never
    dropped. When the CRM cannot even be read to check that lesson (down, slow, a login page,
    an odd answer, the breaker open) the request goes to the fallback queue as it stands."""
    slots = ctx.session.slots
    service = _service(ctx)
    chosen = slots.lesson
    if service is None or chosen is None or not slots.client_name or not slots.client_phone:
        return await choose_lesson(ctx, When())
    phone, name = slots.client_phone, slots.client_name
    ctx.session.move_to(State.BOOKING_IN_PROGRESS, now=ctx.now)
    await ctx.deps.sessions.save(ctx.session)  # a crash from here on is found by recovery
    try:
        lesson = await L.upcoming_lesson(ctx, service, _ref(chosen))
    except CrmError as exc:
        log.warning("booking_schedule_unreadable", error=type(exc).__name__)
        return await _queue_chosen(ctx, service, chosen, reason=type(exc).__name__)
    if lesson is None:  # the lesson left the schedule since the summary
        return await _refused(ctx, service, NotFound("the chosen lesson is not scheduled"))
    fingerprint = booking_fingerprint(phone, lesson.schedule_id, lesson.date)
    if not await ctx.deps.idempotency.acquire(fingerprint, ttl_seconds=IDEMPOTENCY_TTL_SECONDS):
        await record_attempt(ctx, lesson, fingerprint, "duplicate")
        _finish(ctx)
        return [R.already_booked()]
    try:
        client_id = await _crm_client_id(ctx, phone=phone, name=name)
        booking = await ctx.deps.crm.create_booking(client_id=client_id, lesson=lesson.ref)
        await plan_reminders(ctx, booking_id=booking.id, client_id=client_id, lesson=lesson)
    except AlreadyBooked:
        await record_attempt(ctx, lesson, fingerprint, "already_booked")
        _finish(ctx)
        return [R.already_booked()]
    except (LessonFull, LessonInPast, NotFound) as exc:
        await ctx.deps.idempotency.release(fingerprint)
        await record_attempt(ctx, lesson, fingerprint, _OUTCOMES[type(exc)], error=str(exc))
        return await _refused(ctx, service, exc)
    except CrmUnavailable as exc:
        await ctx.deps.idempotency.release(fingerprint)
        await record_attempt(ctx, lesson, fingerprint, "queued", error=type(exc).__name__)
        reply = await queue_booking(ctx, lesson, reason=type(exc).__name__)
        _finish(ctx)
        return [reply]
    await record_attempt(ctx, lesson, fingerprint, "created", crm_booking_id=booking.id)
    await ctx.deps.profiles.save_profile(
        ctx.session.channel,
        ctx.session.chat_id,
        ClientProfile(name=name, phone=phone, updated_at=ctx.now),
    )
    ctx.session.move_to(State.BOOKING_DONE, now=ctx.now)
    slots.lesson = None
    if slots.reschedule and slots.target_booking is not None:
        old = slots.target_booking
        slots.reschedule, slots.target_booking = False, None
        old_lesson = await cancel_replaced(ctx, old)
        if old_lesson is not None:
            return [R.rescheduled(old_lesson, lesson, address=ctx.deps.kb.studio.address)]
    attendee, slots.attendee_name = slots.attendee_name, None
    return [
        R.receipt(lesson=lesson, address=ctx.deps.kb.studio.address, attendee=attendee, name=name)
    ]


def _ref(chosen: OfferedLesson) -> LessonRef:
    return LessonRef(schedule_id=chosen.schedule_id, date=chosen.date)


async def _queue_chosen(
    ctx: TurnContext, service: Service, chosen: OfferedLesson, *, reason: str
) -> list[Reply]:
    """The fallback queue for the lesson as the client confirmed it (the CRM unread)."""
    label = f"{service.name} — {long_day(chosen.date)}, {hhmm(chosen.start)}"
    reply = await queue_request(ctx, _ref(chosen), label, reason=reason)
    _finish(ctx)
    return [reply]


async def past_deadline(ctx: TurnContext) -> list[Reply]:
    """The turn ran out of time (a CRM too slow to wait for). A booking under way is queued
    as confirmed — should the CRM still carry out the late call, the retry finds that
    reservation and books nothing twice (its idempotency key is kept, not released); a
    series goes to the admin. Anything else: an honest "try again", no promise."""
    session, slots = ctx.session, ctx.session.slots
    service = _service(ctx)
    if session.state == State.BOOKING_IN_PROGRESS and slots.lesson and service is not None:
        return await _queue_chosen(ctx, service, slots.lesson, reason="CrmTimeout")
    if session.state == State.BOOKING_IN_PROGRESS and slots.serial is not None:
        await ctx.deps.admin.notify_admin(
            A.series_unfinished(session), trace_id=ctx.message.trace_id
        )
        slots.serial = None
        session.move_to(State.IDLE, now=ctx.now)
        return [R.crm_unavailable_booking()]
    if session.state == State.BOOKING_IN_PROGRESS:
        session.move_to(State.IDLE, now=ctx.now)
    return [R.crm_too_slow()]


async def plan_reminders(
    ctx: TurnContext, *, booking_id: int, client_id: int, lesson: Lesson
) -> None:
    """S3: 24 h and 2 h before the lesson, on the channel the client booked from."""
    slots = ctx.session.slots
    await ctx.deps.reminders.schedule_for(
        booking_id=booking_id,
        reminder=ReminderRequest(
            channel=ctx.session.channel,
            chat_id=ctx.session.chat_id,
            client_id=client_id,
            client_name=slots.attendee_name or slots.client_name or "",
            client_phone=slots.client_phone or "",
            schedule_id=lesson.schedule_id,
            lesson_title=lesson.group_name,
            lesson_start_iso=lesson.start.isoformat(),
        ),
    )


async def _crm_client_id(ctx: TurnContext, *, phone: str, name: str) -> int:
    """The CRM record of whoever attends: the contact, or the child/friend booked by them
    (a separate client record on the contact's phone)."""
    crm = ctx.deps.crm
    attendee = ctx.session.slots.attendee_name
    if attendee:
        client = await crm.find_client(phone, name=attendee)
        client = client or await crm.create_client(name=attendee, phone=phone)
        return client.id
    # the record of that name on the phone, else any record on it, else a new one; the
    # first record on the phone is that name's too when the names agree (one read, not two)
    anyone = await crm.find_client(phone)
    if anyone is None:
        return (await crm.create_client(name=name, phone=phone)).id
    if anyone.name.casefold() == name.casefold():
        return anyone.id
    client = await crm.find_client(phone, name=name)
    return (client or anyone).id


_OUTCOMES: dict[type[CrmError], str] = {
    LessonFull: "full",
    LessonInPast: "in_past",
    NotFound: "not_found",
}


def drop(ctx: TurnContext) -> None:
    """The client changed their mind: forget the draft, keep who they are."""
    slots = ctx.session.slots
    slots.lesson, slots.offered, slots.service_id, slots.attendee_name = None, [], None, None
    ctx.session.move_to(State.IDLE, now=ctx.now)


def _finish(ctx: TurnContext) -> None:
    ctx.session.move_to(State.IDLE, now=ctx.now)
    ctx.session.slots.lesson = None


async def _refused(ctx: TurnContext, service: Service, exc: CrmError) -> list[Reply]:
    """The CRM said no: offer real alternatives of the same style with free places."""
    try:
        alternatives = L.with_places(await L.upcoming_lessons(ctx, service))[: L.OFFER_COUNT]
    except CrmError:
        alternatives = []
    chosen = ctx.session.slots.lesson
    if chosen is not None:
        alternatives = [
            x for x in alternatives if (x.schedule_id, x.date) != (chosen.schedule_id, chosen.date)
        ]
    if not alternatives and chosen is not None:  # the reply promises the admin will write
        await _tell_admin_refused(ctx, service, chosen, exc)
    ctx.session.slots.lesson = None
    ctx.session.slots.offered = [L.offered(x, lesson_button(x.start)) for x in alternatives]
    ctx.session.move_to(State.COLLECTING_DATETIME if alternatives else State.IDLE, now=ctx.now)
    if isinstance(exc, LessonFull):
        return [R.lesson_full(service.name, alternatives)]
    if isinstance(exc, LessonInPast):
        return [R.lesson_in_past(service.name, alternatives)]
    return [R.schedule_changed(service.name, alternatives)]


async def _tell_admin_refused(
    ctx: TurnContext, service: Service, chosen: OfferedLesson, exc: CrmError
) -> None:
    await ctx.deps.admin.notify_admin(
        A.booking_refused(ctx.session, service.name, chosen, type(exc).__name__),
        trace_id=ctx.message.trace_id,
    )


async def record_attempt(
    ctx: TurnContext,
    lesson: Lesson | LessonRef,
    fingerprint: str,
    outcome: str,
    *,
    crm_booking_id: int | None = None,
    error: str | None = None,
) -> None:
    log.info(
        "booking_attempt",
        outcome=outcome,
        schedule_id=lesson.schedule_id,
        lesson_date=str(lesson.date),
        phone=mask_phone(ctx.session.slots.client_phone),
    )
    await ctx.deps.audit.record_booking_attempt(
        BookingAttemptRecord(
            trace_id=ctx.message.trace_id,
            channel=ctx.session.channel,
            chat_id=ctx.session.chat_id,
            fingerprint=fingerprint,
            schedule_id=lesson.schedule_id,
            lesson_date=lesson.date,
            client_phone_masked=mask_phone(ctx.session.slots.client_phone),
            outcome=outcome,
            at=ctx.now,
            crm_booking_id=crm_booking_id,
            error=error,
        )
    )
