"""S2: booking one lesson — service → lesson → name and phone → summary → "да" → CRM → receipt.

Each function takes the turn, reads and updates the session's slots, and returns the replies.
CRM failures become replies with real alternatives; nothing is invented.
"""

from __future__ import annotations

import structlog

from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.cancel import cancel_replaced
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.fallback import queue_booking
from dancebot.dialogue.formatting import lesson_button
from dancebot.dialogue.replies import Reply
from dancebot.domain.booking import IDEMPOTENCY_TTL_SECONDS, booking_fingerprint
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
from dancebot.kb.schema import Service
from dancebot.nlu.contact import extract_name
from dancebot.nlu.intents import is_no, is_yes
from dancebot.nlu.phone import (
    display_phone,
    find_phone,
    looks_like_phone_attempt,
    mask_phone,
    strip_phone,
)
from dancebot.nlu.temporal import When, parse_when
from dancebot.nlu.third_party import extract_attendee
from dancebot.ports.audit import BookingAttemptRecord
from dancebot.ports.channels import ReminderRequest
from dancebot.ports.storage import ClientProfile

log = structlog.get_logger(__name__)


def _service(ctx: TurnContext) -> Service | None:
    sid = ctx.session.slots.service_id
    return ctx.deps.kb.service_by_id(sid) if sid else None


async def start(ctx: TurnContext, service: Service | None) -> list[Reply]:
    """The client wants to book; ``service`` is what they named, if anything."""
    slots = ctx.session.slots
    if service is None:
        ctx.session.move_to(State.COLLECTING_GROUP, now=ctx.now)
        return [R.ask_service(ctx.deps.kb.services)]
    slots.service_id = service.id
    slots.lesson = None
    await _prefill_contact(ctx)
    return await choose_lesson(ctx, parse_when(ctx.text, today=ctx.today))


async def from_schedule(ctx: TurnContext, service: Service | None) -> list[Reply]:
    """ "Записать вас?" after a schedule → "да": choose among the lessons that were shown."""
    shown = ctx.session.slots.offered
    if service is None or not shown:
        return await start(ctx, service)
    await _prefill_contact(ctx)
    ctx.session.slots.service_id = service.id
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


async def on_datetime(ctx: TurnContext) -> list[Reply]:
    """The client answers which lesson: a button, its number, its label or a day/time."""
    slots = ctx.session.slots
    ref = L.parse_lesson_payload(ctx.text)
    if ref is None:
        ref = _offered_by_text(ctx)
    if ref is not None:
        lesson = await _lesson(ctx, ref)
        if lesson is not None:
            return await lesson_chosen(ctx, lesson)
    when = parse_when(ctx.text, today=ctx.today)
    if not when.is_empty:
        return await choose_lesson(ctx, when)
    if slots.offered:
        return [R.pick_from_offered()]
    return await choose_lesson(ctx, when)


def _offered_by_text(ctx: TurnContext) -> LessonRef | None:
    offered = ctx.session.slots.offered
    text = ctx.text.strip().casefold()
    if text.isdigit() and 1 <= int(text) <= len(offered):
        chosen = offered[int(text) - 1]
        return LessonRef(schedule_id=chosen.schedule_id, date=chosen.date)
    for item in offered:
        if item.label.casefold() == text:
            return LessonRef(schedule_id=item.schedule_id, date=item.date)
    return None


async def _lesson(ctx: TurnContext, ref: LessonRef) -> Lesson | None:
    service = _service(ctx)
    if service is None:
        return None
    try:
        return L.find(await L.upcoming_lessons(ctx, service), ref)
    except CrmError:
        return None


async def lesson_chosen(ctx: TurnContext, lesson: Lesson) -> list[Reply]:
    slots = ctx.session.slots
    slots.lesson = L.offered(lesson, lesson_button(lesson.start))
    slots.offered = []
    _take_contact_from_text(ctx)
    return await _next_contact_step(ctx, lesson)


async def on_contact(ctx: TurnContext) -> list[Reply]:
    slots = ctx.session.slots
    if slots.client_name and slots.client_phone and ctx.session.state == State.COLLECTING_CONTACT:
        # a returning client was asked "на тот же номер?"
        if is_yes(ctx.text):
            return await _summary(ctx)
        if is_no(ctx.text) or "друг" in ctx.text.casefold():
            slots.client_phone = None
            slots.phone_from_channel = False
    when = parse_when(ctx.text, today=ctx.today)
    if not when.is_empty and find_phone(ctx.text) is None:  # "давайте лучше в четверг"
        return await choose_lesson(ctx, when)
    if not _take_contact_from_text(ctx) and looks_like_phone_attempt(ctx.text):
        return [R.invalid_phone()]
    lesson = await _chosen_lesson(ctx)
    if lesson is None:
        return await choose_lesson(ctx, When())
    return await _next_contact_step(ctx, lesson, asked_again=True)


def _take_contact_from_text(ctx: TurnContext) -> bool:
    """Fill name/phone (and who attends, when it is someone else) from the message; True when
    something was taken."""
    slots = ctx.session.slots
    took = False
    phone = find_phone(ctx.text)
    if phone:
        slots.client_phone, slots.phone_from_channel, took = phone, False, True
    text = strip_phone(ctx.text)
    attendee = extract_attendee(text)
    if attendee is not None and attendee.name:
        slots.attendee_name, took = attendee.name, True
        text = text.replace(attendee.name, " ")  # the attendee's name is not the contact's
    expecting_name = ctx.session.state == State.COLLECTING_CONTACT and not slots.client_name
    name = extract_name(text, expecting_name=expecting_name, ignore=ctx.deps.matcher.vocabulary)
    if name and name != slots.attendee_name:
        slots.client_name, took = name, True
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


async def on_confirm(ctx: TurnContext) -> list[Reply]:
    when = parse_when(ctx.text, today=ctx.today)
    if is_yes(ctx.text) and when.is_empty and find_phone(ctx.text) is None:
        return await execute(ctx)
    if not when.is_empty:  # "нет, на 19": correct the time, keep the rest
        chosen = ctx.session.slots.lesson
        if chosen is not None and when.day is None:
            when = When(
                day=chosen.date, at=when.at, not_before=when.not_before, not_after=when.not_after
            )
        return await choose_lesson(ctx, when)
    if _take_contact_from_text(ctx):
        return await _summary(ctx)
    if is_no(ctx.text):
        ctx.session.move_to(State.COLLECTING_CONTACT, now=ctx.now)
        return [R.what_to_change()]
    return await _summary(ctx)


async def execute(ctx: TurnContext) -> list[Reply]:
    """Reserve the lesson in the CRM, exactly once (idempotency lock before the CRM call)."""
    slots = ctx.session.slots
    service = _service(ctx)
    lesson = await _chosen_lesson(ctx)
    if service is None or lesson is None or not slots.client_name or not slots.client_phone:
        return await choose_lesson(ctx, When())
    phone, name = slots.client_phone, slots.client_name
    fingerprint = booking_fingerprint(phone, lesson.schedule_id, lesson.date)
    ctx.session.move_to(State.BOOKING_IN_PROGRESS, now=ctx.now)
    await ctx.deps.sessions.save(ctx.session)  # a crash from here on is found by recovery
    if not await ctx.deps.idempotency.acquire(fingerprint, ttl_seconds=IDEMPOTENCY_TTL_SECONDS):
        await _record(ctx, lesson, fingerprint, "duplicate")
        _finish(ctx)
        return [R.already_booked()]
    try:
        client_id = await _crm_client_id(ctx, phone=phone, name=name)
        booking = await ctx.deps.crm.create_booking(client_id=client_id, lesson=lesson.ref)
        await plan_reminders(ctx, booking_id=booking.id, client_id=client_id, lesson=lesson)
    except AlreadyBooked:
        await _record(ctx, lesson, fingerprint, "already_booked")
        _finish(ctx)
        return [R.already_booked()]
    except (LessonFull, LessonInPast, NotFound) as exc:
        await ctx.deps.idempotency.release(fingerprint)
        await _record(ctx, lesson, fingerprint, _OUTCOMES[type(exc)], error=str(exc))
        return await _refused(ctx, service, exc)
    except CrmUnavailable as exc:
        await ctx.deps.idempotency.release(fingerprint)
        await _record(ctx, lesson, fingerprint, "queued", error=type(exc).__name__)
        reply = await queue_booking(ctx, lesson, reason=type(exc).__name__)
        _finish(ctx)
        return [reply]
    await _record(ctx, lesson, fingerprint, "created", crm_booking_id=booking.id)
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
    return [R.receipt(lesson=lesson, address=ctx.deps.kb.studio.address, attendee=attendee)]


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
    client = await crm.find_client(phone, name=name) or await crm.find_client(phone)
    client = client or await crm.create_client(name=name, phone=phone)
    return client.id


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
    ctx.session.slots.lesson = None
    ctx.session.slots.offered = [L.offered(x, lesson_button(x.start)) for x in alternatives]
    ctx.session.move_to(State.COLLECTING_DATETIME if alternatives else State.IDLE, now=ctx.now)
    if isinstance(exc, LessonFull):
        return [R.lesson_full(service.name, alternatives)]
    if isinstance(exc, LessonInPast):
        return [R.lesson_in_past(service.name, alternatives)]
    return [R.schedule_changed(service.name, alternatives)]


async def _record(
    ctx: TurnContext,
    lesson: Lesson,
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


# a series (S6) records each of its lessons the same way
record_attempt = _record
