"""S6: a series — "по вторникам и четвергам весь март". The bot books what it can, up to
``serial_booking_max``, each lesson with its own idempotency key, and says exactly what was
booked and what was not, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.booking import plan_reminders, record_attempt, take_contact
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.fallback import queue_request
from dancebot.dialogue.formatting import lesson_button
from dancebot.dialogue.replies import Reply
from dancebot.domain.booking import IDEMPOTENCY_TTL_SECONDS, booking_fingerprint
from dancebot.domain.commands import Confirm, Decline, Deny
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
from dancebot.domain.session import OfferedLesson, SerialPlan
from dancebot.kb.schema import Service
from dancebot.nlu.phone import display_phone
from dancebot.nlu.temporal import SerialRequest, When, serial_from
from dancebot.ports.storage import ClientProfile

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    lesson: Lesson
    result: str  # "booked" | "already" | "full" | "past" | "gone" | "crm_down"


async def start(ctx: TurnContext, service: Service | None, request: SerialRequest) -> list[Reply]:
    if service is None:
        ctx.session.move_to(State.COLLECTING_GROUP, now=ctx.now)
        return [R.ask_service(ctx.deps.kb.services)]
    plan = SerialPlan(
        service_id=service.id,
        weekdays=list(request.weekdays),
        date_from=max(request.date_from, ctx.today),
        date_to=request.date_to,
        at=request.at,
    )
    slots = ctx.session.slots
    slots.serial, slots.service_id = plan, service.id
    ctx.session.move_to(State.SERIAL_BOOKING, now=ctx.now)
    await _prefill(ctx)
    if plan.date_to is None:  # a required slot (RFC S6): ask once
        slots.awaiting = "period"
        return [R.ask_serial_period()]
    return await _plan(ctx, service, plan)


async def _plan(ctx: TurnContext, service: Service, plan: SerialPlan) -> list[Reply]:
    """Find the lessons of the series, cap them, and ask what is still missing."""
    try:
        lessons = await _lessons(ctx, service, plan)
    except CrmError as exc:
        log.warning("serial_schedule_unavailable", error=type(exc).__name__)
        return [R.crm_unavailable_schedule()]
    if not lessons:
        ctx.session.slots.serial = None
        ctx.session.move_to(State.IDLE, now=ctx.now)
        return [R.serial_nothing(service.name)]
    limit = ctx.deps.kb.policies.serial_booking_max
    plan.full = [x.date for x in lessons if x.is_full]
    open_lessons = [x for x in lessons if not x.is_full]
    if not open_lessons:
        ctx.session.slots.serial = None
        ctx.session.move_to(State.IDLE, now=ctx.now)
        return [R.serial_nothing(service.name)]
    plan.lessons = [L.offered(x, lesson_button(x.start)) for x in open_lessons[:limit]]
    plan.dropped = max(0, len(open_lessons) - limit)
    return _next_question(ctx, service)


async def _lessons(ctx: TurnContext, service: Service, plan: SerialPlan) -> list[Lesson]:
    """The service's lessons on the plan's weekdays and dates (and time), holidays left out.
    Full lessons stay in: the client hears that they are full rather than nothing."""
    assert plan.date_to is not None
    days = (plan.date_to - ctx.today).days
    upcoming = await L.upcoming_lessons(ctx, service, days=max(days, 0))
    chosen = [
        x
        for x in upcoming
        if x.date.isoweekday() in plan.weekdays and plan.date_from <= x.date <= plan.date_to
    ]
    if plan.at is not None:
        chosen = [x for x in chosen if x.start.timetz().replace(tzinfo=None) == plan.at]
    else:  # one lesson a day: the earliest of the style that day
        firsts: dict[object, Lesson] = {}
        for x in chosen:
            firsts.setdefault(x.date, x)
        chosen = list(firsts.values())
    return sorted(chosen, key=lambda x: x.start)


async def _prefill(ctx: TurnContext) -> None:
    slots = ctx.session.slots
    if ctx.message.sender_phone and not slots.client_phone:
        slots.client_phone = ctx.message.sender_phone
    profile = await ctx.deps.profiles.load_profile(ctx.session.channel, ctx.session.chat_id)
    if profile is not None:
        slots.client_name = slots.client_name or profile.name
        slots.client_phone = slots.client_phone or profile.phone
    take_contact(ctx)


def _next_question(ctx: TurnContext, service: Service) -> list[Reply]:
    slots = ctx.session.slots
    plan = slots.serial
    assert plan is not None
    if not slots.client_name:
        slots.awaiting = "name"
        return [R.ask_name()]
    if not slots.client_phone:
        slots.awaiting = "phone"
        return [R.ask_phone(slots.client_name)]
    slots.awaiting = "confirm"
    return [
        R.serial_summary(
            name=slots.client_name,
            phone_display=display_phone(slots.client_phone),
            service_name=service.name,
            days=[(x.date, x.start) for x in plan.lessons],
            dropped=plan.dropped,
            full=plan.full,
        )
    ]


async def on_message(ctx: TurnContext, when: When) -> list[Reply]:
    """The client answers inside the series flow: the period, contact details, yes or no."""
    slots = ctx.session.slots
    plan = slots.serial
    service = ctx.deps.kb.service_by_id(plan.service_id) if plan else None
    if plan is None or service is None:
        ctx.session.move_to(State.IDLE, now=ctx.now)
        return [R.not_understood()]
    u = ctx.understanding
    if slots.awaiting == "period":
        period = serial_from(when, today=ctx.today) or _period_only(ctx, when)
        if period is None or period.date_to is None:
            return [R.ask_serial_period()]
        plan.date_from = max(period.date_from, ctx.today)
        plan.date_to = period.date_to
        slots.awaiting = None
        return await _plan(ctx, service, plan)
    if slots.awaiting == "confirm":
        if u.first(Confirm) is not None and not take_contact(ctx):
            return await _execute(ctx, service, plan)
        if u.first(Deny) is not None or u.first(Decline) is not None:
            slots.serial, slots.awaiting = None, None
            ctx.session.move_to(State.IDLE, now=ctx.now)
            return [R.serial_dropped()]
    took = take_contact(ctx)
    if not took and slots.awaiting == "phone" and ctx.entities.phone_attempt:
        return [R.invalid_phone()]
    return _next_question(ctx, service)


def _period_only(ctx: TurnContext, when: When) -> SerialRequest | None:
    """ "весь март" / "на месяц" said alone, after the weekdays were named before."""
    plan = ctx.session.slots.serial
    if plan is None or when.period_end is None:
        return None
    start = when.period_start or ctx.today
    return SerialRequest(weekdays=tuple(plan.weekdays), date_from=start, date_to=when.period_end)


async def _execute(ctx: TurnContext, service: Service, plan: SerialPlan) -> list[Reply]:
    """Book every lesson of the series, each with its own idempotency key and audit row; what
    the CRM could not take now goes to the fallback queue like a single booking (D20)."""
    slots = ctx.session.slots
    phone, name = slots.client_phone, slots.client_name
    assert phone is not None and name is not None
    ctx.session.move_to(State.BOOKING_IN_PROGRESS, now=ctx.now)
    await ctx.deps.sessions.save(ctx.session)
    outcomes: list[Outcome] = []
    try:
        lessons = await _lessons(ctx, service, plan)
        wanted = {(x.schedule_id, x.date) for x in plan.lessons}
        todo = [x for x in lessons if (x.schedule_id, x.date) in wanted]
        client = await ctx.deps.crm.find_client(phone) or await ctx.deps.crm.create_client(
            name=name, phone=phone
        )
        for lesson in todo:
            outcomes.append(await _book_one(ctx, client.id, lesson, phone))
    except CrmUnavailable as exc:
        log.warning("serial_crm_unavailable", error=type(exc).__name__)
    queued = await _queue_the_rest(ctx, plan, outcomes)
    booked_any = any(o.result == "booked" for o in outcomes)
    if booked_any:
        await ctx.deps.profiles.save_profile(
            ctx.session.channel,
            ctx.session.chat_id,
            ClientProfile(name=name, phone=phone, updated_at=ctx.now),
        )
    slots.serial, slots.awaiting = None, None
    ctx.session.move_to(State.BOOKING_DONE if booked_any else State.IDLE, now=ctx.now)
    done = [(o.lesson.date, o.lesson.start, o.result) for o in outcomes if o.result != "crm_down"]
    return [
        R.serial_result(
            service.name,
            [*done, *((x.date, x.start, "queued") for x in queued)],
            unprocessed=0,
            address=ctx.deps.kb.studio.address if booked_any else None,
            full=plan.full,
        )
    ]


async def _queue_the_rest(
    ctx: TurnContext, plan: SerialPlan, outcomes: list[Outcome]
) -> list[OfferedLesson]:
    """Lessons the CRM did not answer for (down, timed out) wait in the fallback queue."""
    settled = {(o.lesson.schedule_id, o.lesson.date) for o in outcomes if o.result != "crm_down"}
    phone = ctx.session.slots.client_phone or ""
    queued = [x for x in plan.lessons if (x.schedule_id, x.date) not in settled]
    for item in queued:
        ref = LessonRef(schedule_id=item.schedule_id, date=item.date)
        fingerprint = booking_fingerprint(phone, item.schedule_id, item.date)
        await record_attempt(ctx, ref, fingerprint, "queued", error="CrmUnavailable")
        await queue_request(ctx, ref, item.label, reason="CrmUnavailable")
    return queued


async def _book_one(ctx: TurnContext, client_id: int, lesson: Lesson, phone: str) -> Outcome:
    fingerprint = booking_fingerprint(phone, lesson.schedule_id, lesson.date)
    if not await ctx.deps.idempotency.acquire(fingerprint, ttl_seconds=IDEMPOTENCY_TTL_SECONDS):
        await record_attempt(ctx, lesson, fingerprint, "duplicate")
        return Outcome(lesson, "already")
    try:
        booking = await ctx.deps.crm.create_booking(client_id=client_id, lesson=lesson.ref)
        await plan_reminders(ctx, booking_id=booking.id, client_id=client_id, lesson=lesson)
    except AlreadyBooked:
        await record_attempt(ctx, lesson, fingerprint, "already_booked")
        return Outcome(lesson, "already")
    except (LessonFull, LessonInPast, NotFound) as exc:
        await ctx.deps.idempotency.release(fingerprint)
        kind = {LessonFull: "full", LessonInPast: "past", NotFound: "gone"}[type(exc)]
        await record_attempt(ctx, lesson, fingerprint, _AUDIT[kind], error=str(exc))
        return Outcome(lesson, kind)
    except CrmUnavailable:
        await ctx.deps.idempotency.release(fingerprint)
        return Outcome(lesson, "crm_down")
    await record_attempt(ctx, lesson, fingerprint, "created", crm_booking_id=booking.id)
    return Outcome(lesson, "booked")


_AUDIT = {"full": "full", "past": "in_past", "gone": "not_found"}
