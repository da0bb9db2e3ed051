"""S5: cancel or move a booking. The client does not know reservation ids: the bot lists the
client's future bookings (found by phone) as buttons, the client picks, the bot confirms.

A move books the new lesson first and cancels the old one only once the new one exists, so a
failed move never leaves the client with nothing (docs/decisions.md, D8).
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.formatting import hhmm, lesson_button, long_day
from dancebot.dialogue.lessons import belongs_to
from dancebot.dialogue.replies import Reply
from dancebot.domain.crm import Booking, Lesson
from dancebot.domain.errors import CrmError, NotFound
from dancebot.domain.fsm import State
from dancebot.domain.session import OfferedBooking
from dancebot.nlu.intents import is_no, is_yes
from dancebot.nlu.phone import display_phone, find_phone, looks_like_phone_attempt
from dancebot.nlu.temporal import parse_when

log = structlog.get_logger(__name__)


async def start(ctx: TurnContext, *, reschedule: bool) -> list[Reply]:
    slots = ctx.session.slots
    slots.reschedule, slots.target_booking, slots.bookings = reschedule, None, []
    ctx.session.move_to(State.CANCEL_FLOW, now=ctx.now)
    phone = find_phone(ctx.text) or slots.client_phone or ctx.message.sender_phone
    if phone is None:
        profile = await ctx.deps.profiles.load_profile(ctx.session.channel, ctx.session.chat_id)
        phone = profile.phone if profile else None
    if phone is None:
        slots.awaiting = "phone"
        return [R.ask_phone_for_bookings()]
    slots.client_phone = phone
    return await _show_bookings(ctx)


async def on_message(ctx: TurnContext) -> list[Reply]:
    """The client answers inside the cancel flow."""
    slots = ctx.session.slots
    if slots.awaiting == "phone":
        phone = find_phone(ctx.text)
        if phone is None:
            return [
                R.invalid_phone()
                if looks_like_phone_attempt(ctx.text)
                else R.ask_phone_for_bookings()
            ]
        slots.client_phone = phone
        return await _show_bookings(ctx)
    if slots.awaiting == "pick":
        chosen = _picked(ctx)
        return await _confirm(ctx, chosen) if chosen else [_pick_reply(ctx)]
    if slots.awaiting == "confirm" and slots.target_booking is not None:
        if is_yes(ctx.text) or ctx.text == "yes":
            return await _cancel(ctx, slots.target_booking)
        if is_no(ctx.text) or ctx.text == "no":
            _done(ctx)
            return [R.cancel_kept()]
    return [_pick_reply(ctx)] if slots.bookings else [R.ask_phone_for_bookings()]


async def _show_bookings(ctx: TurnContext) -> list[Reply]:
    slots = ctx.session.slots
    phone = slots.client_phone or ""
    try:
        bookings = await _future_bookings(ctx, phone)
    except CrmError as exc:
        log.warning("bookings_unavailable", error=type(exc).__name__)
        _done(ctx)
        await ctx.deps.admin.notify_admin(
            f"Клиент хочет {'перенести' if slots.reschedule else 'отменить'} запись, "
            f"а CRM не отвечает: {ctx.session.channel.value}:{ctx.session.chat_id}",
            trace_id=ctx.message.trace_id,
        )
        return [R.crm_unavailable_schedule()]
    if not bookings:
        slots.awaiting = "phone"
        return [R.no_future_bookings(display_phone(phone))]
    slots.bookings = [_offered(ctx, b, lesson) for b, lesson in bookings]
    if len(slots.bookings) == 1:
        return await _confirm(ctx, slots.bookings[0])
    slots.awaiting = "pick"
    return [_pick_reply(ctx)]


async def _future_bookings(ctx: TurnContext, phone: str) -> list[tuple[Booking, Lesson]]:
    client = await ctx.deps.crm.find_client(phone)
    if client is None:
        return []
    ctx.session.slots.client_name = ctx.session.slots.client_name or client.name
    found = await ctx.deps.crm.list_bookings(client_id=client.id, date_from=ctx.today)
    return sorted(
        ((b, b.lesson) for b in found if b.lesson is not None and b.lesson.start > ctx.now),
        key=lambda pair: pair[1].start,
    )


def _offered(ctx: TurnContext, booking: Booking, lesson: Lesson) -> OfferedBooking:
    service = next((s for s in ctx.deps.kb.services if belongs_to(lesson, s)), None)
    return OfferedBooking(
        booking_id=booking.id,
        schedule_id=lesson.schedule_id,
        date=lesson.date,
        start=lesson.start,
        service_id=service.id if service else None,
        label=(
            f"{lesson.style_name or lesson.group_name}, {long_day(lesson.date)}, "
            f"{hhmm(lesson.start)}"
        ),
    )


def _pick_reply(ctx: TurnContext) -> Reply:
    slots = ctx.session.slots
    return R.pick_booking(
        [(b.label, lesson_button(b.start), f"booking:{b.booking_id}") for b in slots.bookings[:6]],
        reschedule=slots.reschedule,
    )


def _picked(ctx: TurnContext) -> OfferedBooking | None:
    slots = ctx.session.slots
    text = ctx.text.strip().casefold()
    for number, item in enumerate(slots.bookings, start=1):
        names = (f"booking:{item.booking_id}", item.label.casefold(), str(number))
        if text in names or text == lesson_button(item.start).casefold():
            return item
    return None


async def _confirm(ctx: TurnContext, chosen: OfferedBooking) -> list[Reply]:
    slots = ctx.session.slots
    slots.target_booking = chosen
    try:
        lesson = await _lesson_of(ctx, chosen)
    except CrmError:
        _done(ctx)
        return [R.crm_unavailable_schedule()]
    if lesson is None:
        _done(ctx)
        return [R.booking_gone()]
    if slots.reschedule:
        return await _start_move(ctx, chosen, lesson)
    slots.awaiting = "confirm"
    late = ctx.deps.kb.policies.late_cancel_hours
    is_late = lesson.start - ctx.now < timedelta(hours=late)
    return [R.confirm_cancel(lesson, late_hours=late if is_late else None)]


async def _start_move(ctx: TurnContext, chosen: OfferedBooking, lesson: Lesson) -> list[Reply]:
    """Moving = booking a new lesson of the same service; the old one goes when it exists."""
    slots = ctx.session.slots
    slots.awaiting = None
    slots.service_id = chosen.service_id
    slots.lesson = None
    ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
    when = parse_when(ctx.text, today=ctx.today)
    if not when.is_empty and chosen.service_id is not None:  # "перенесите на пятницу"
        from dancebot.dialogue.booking import choose_lesson

        return await choose_lesson(ctx, when)
    return [R.reschedule_to_what(lesson)]


async def _lesson_of(ctx: TurnContext, chosen: OfferedBooking) -> Lesson | None:
    lessons = await ctx.deps.crm.get_schedule(date_from=chosen.date, date_to=chosen.date)
    return next((x for x in lessons if x.schedule_id == chosen.schedule_id), None)


async def _cancel(ctx: TurnContext, chosen: OfferedBooking) -> list[Reply]:
    try:
        lesson = await _lesson_of(ctx, chosen)
        await ctx.deps.crm.cancel_booking(chosen.booking_id)
    except NotFound:
        _done(ctx)
        return [R.booking_gone()]
    except CrmError as exc:
        log.warning("cancel_failed", error=type(exc).__name__)
        _done(ctx)
        await ctx.deps.admin.notify_admin(
            f"Не удалось отменить запись #{chosen.booking_id} ({type(exc).__name__}): "
            f"{ctx.session.channel.value}:{ctx.session.chat_id}. Отмените вручную.",
            trace_id=ctx.message.trace_id,
        )
        return [R.crm_unavailable_booking()]
    await ctx.deps.reminders.cancel_for(chosen.booking_id)
    log.info("booking_cancelled", booking_id=chosen.booking_id)
    _done(ctx)
    return [R.cancelled(lesson) if lesson else R.cancel_kept()]


async def cancel_replaced(ctx: TurnContext, old: OfferedBooking) -> Lesson | None:
    """After a move's new booking exists: cancel the old one. Returns the old lesson, or None
    when the old booking could not be cancelled (the admin is told)."""
    lesson: Lesson | None = None
    try:
        lesson = await _lesson_of(ctx, old)
        await ctx.deps.crm.cancel_booking(old.booking_id)
    except NotFound:
        await ctx.deps.reminders.cancel_for(old.booking_id)
        return lesson
    except CrmError as exc:
        await ctx.deps.admin.notify_admin(
            f"Перенос: новая запись создана, старую #{old.booking_id} отменить не удалось "
            f"({type(exc).__name__}). Отмените вручную.",
            trace_id=ctx.message.trace_id,
        )
        return None
    await ctx.deps.reminders.cancel_for(old.booking_id)
    return lesson


def _done(ctx: TurnContext) -> None:
    slots = ctx.session.slots
    slots.awaiting, slots.target_booking, slots.bookings, slots.reschedule = None, None, [], False
    ctx.session.move_to(State.IDLE, now=ctx.now)
