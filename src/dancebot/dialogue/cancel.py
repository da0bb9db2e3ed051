"""S5: cancel or move a booking. The client does not know reservation ids: the bot finds the
client's future bookings (by phone) and takes the one the client named ("ту что в субботу",
"на джаз-фанк сегодня", "последнюю", "вторую"); when the words fit several or none, it lists
them as buttons. A cancellation is confirmed before it is made.

A move books the new lesson first and cancels the old one only once the new one exists, so a
failed move never leaves the client with nothing (docs/decisions.md, D8): this module picks
the booking; the booking module books the new lesson and then calls ``cancel_replaced``.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.formatting import hhmm, lesson_button, long_day
from dancebot.dialogue.lessons import belongs_to, matching
from dancebot.dialogue.replies import Reply
from dancebot.domain.commands import BookingRef, WhenSpec
from dancebot.domain.crm import Booking, Lesson
from dancebot.domain.errors import CrmError, NotFound
from dancebot.domain.fsm import State
from dancebot.domain.session import OfferedBooking
from dancebot.nlu.phone import display_phone
from dancebot.nlu.temporal import When

log = structlog.get_logger(__name__)


async def start(
    ctx: TurnContext, *, reschedule: bool, ref: BookingRef, to: WhenSpec | None
) -> list[Reply]:
    """The client asks to cancel (or move) a booking, naming it or not."""
    slots = ctx.session.slots
    slots.reschedule, slots.target_booking, slots.bookings = reschedule, None, []
    slots.cancel_ref = None if ref.is_empty else ref
    slots.move_to = to
    ctx.session.move_to(State.CANCEL_FLOW, now=ctx.now)
    phone = ctx.entities.phone or slots.client_phone or ctx.message.sender_phone
    if phone is None:
        profile = await ctx.deps.profiles.load_profile(ctx.session.channel, ctx.session.chat_id)
        phone = profile.phone if profile else None
    if phone is None:
        slots.awaiting = "phone"
        return [R.ask_phone_for_bookings()]
    slots.client_phone = phone
    return await _show_bookings(ctx)


async def on_phone(ctx: TurnContext, phone: str | None, *, attempted: bool) -> list[Reply]:
    """The answer to "по какому номеру вы записаны?"."""
    if phone is None:
        return [R.invalid_phone() if attempted else R.ask_phone_for_bookings()]
    ctx.session.slots.client_phone = phone
    return await _show_bookings(ctx)


async def pick(ctx: TurnContext, *, index: int | None, ref: BookingRef | None) -> list[Reply]:
    """The client points at one of the bookings listed (by number, or by its style/day)."""
    slots = ctx.session.slots
    if slots.awaiting == "phone":
        return [R.ask_phone_for_bookings()]
    chosen = None
    if ref is not None and ref.every and not slots.reschedule and len(slots.bookings) > 1:
        return _confirm_all(ctx)
    if index is not None and slots.bookings and 0 < abs(index) <= len(slots.bookings):
        chosen = slots.bookings[index - 1] if index > 0 else slots.bookings[-1]
    elif ref is not None and not ref.is_empty:
        found = _by_ref(ctx, slots.bookings, ref)
        if len(found) == 1:
            chosen = found[0]
        elif found:
            slots.bookings = found
    if chosen is None:
        return [_pick_reply(ctx)] if slots.bookings else [R.ask_phone_for_bookings()]
    return await _confirm(ctx, chosen)


def by_button(ctx: TurnContext, payload: str) -> OfferedBooking | None:
    """``booking:ID`` or a booking's button title typed out."""
    text = payload.strip().casefold()
    for item in ctx.session.slots.bookings:
        names = (f"booking:{item.booking_id}", item.label.casefold())
        if text in names or text == lesson_button(item.start).casefold():
            return item
    return None


async def chosen(ctx: TurnContext, item: OfferedBooking) -> list[Reply]:
    return await _confirm(ctx, item)


async def answer(ctx: TurnContext, *, yes: bool) -> list[Reply]:
    """Yes or no to "Отменить запись …?"."""
    slots = ctx.session.slots
    if slots.awaiting == "confirm_all":
        return await _cancel_all(ctx) if yes else _kept(ctx)
    if slots.awaiting != "confirm" or slots.target_booking is None:
        return [_pick_reply(ctx)] if slots.bookings else [R.ask_phone_for_bookings()]
    if yes:
        return await _cancel(ctx, slots.target_booking)
    done(ctx)
    return [R.cancel_kept()]


def repeat(ctx: TurnContext) -> list[Reply]:
    """The message moved nothing forward: ask the open question once more."""
    slots = ctx.session.slots
    if slots.awaiting == "confirm_all":
        return [R.confirm_cancel_all([b.label for b in slots.bookings])]
    if slots.awaiting == "confirm" and slots.target_booking is not None:
        return [R.confirm_cancel_again()]
    return [_pick_reply(ctx)] if slots.bookings else [R.ask_phone_for_bookings()]


async def _show_bookings(ctx: TurnContext) -> list[Reply]:
    slots = ctx.session.slots
    phone = slots.client_phone or ""
    try:
        bookings = await _future_bookings(ctx, phone)
    except CrmError as exc:
        log.warning("bookings_unavailable", error=type(exc).__name__)
        done(ctx)
        await ctx.deps.admin.notify_admin(
            A.bookings_unreadable(ctx.session, reschedule=slots.reschedule),
            trace_id=ctx.message.trace_id,
        )
        return [R.crm_unavailable_schedule()]
    if not bookings:
        slots.awaiting = "phone"
        return [R.no_future_bookings(display_phone(phone))]
    slots.bookings = [_offered(ctx, b, lesson) for b, lesson in bookings]
    ref, slots.cancel_ref = slots.cancel_ref, None
    if ref is not None and ref.every and not slots.reschedule and len(slots.bookings) > 1:
        return _confirm_all(ctx)
    if ref is not None:
        found = _by_ref(ctx, slots.bookings, ref)
        if len(found) == 1:
            return await _confirm(ctx, found[0])
        if found:
            slots.bookings = found
        else:
            slots.awaiting = "pick"
            return [R.no_such_booking(), _pick_reply(ctx)]
    if len(slots.bookings) == 1:
        return await _confirm(ctx, slots.bookings[0])
    slots.awaiting = "pick"
    return [_pick_reply(ctx)]


def _by_ref(ctx: TurnContext, items: list[OfferedBooking], ref: BookingRef) -> list[OfferedBooking]:
    """The bookings the client's words fit: the style, the day/time, a position, "последнюю"."""
    if ref.latest_made:
        return [max(items, key=lambda b: b.booking_id)] if items else []
    if ref.ordinal is not None and ref.service_id is None and ref.when is None:
        if 0 < abs(ref.ordinal) <= len(items):
            return [items[ref.ordinal - 1] if ref.ordinal > 0 else items[-1]]
        return []
    found = list(items)
    if ref.service_id is not None:
        found = [b for b in found if b.service_id == ref.service_id]
    when = ctx.resolve(ref.when)
    if not when.is_empty:
        by_start = {(b.schedule_id, b.date): b for b in found}
        lessons = [_as_lesson(b) for b in found]
        exact = [by_start[(x.schedule_id, x.date)] for x in matching(lessons, when)]
        found = exact or _same_weekday(found, when)
    if ref.ordinal is not None and 0 < abs(ref.ordinal) <= len(found):
        found = [found[ref.ordinal - 1] if ref.ordinal > 0 else found[-1]]
    return found


def _kept(ctx: TurnContext) -> list[Reply]:
    done(ctx)
    return [R.cancel_kept()]


def _confirm_all(ctx: TurnContext) -> list[Reply]:
    """ "отмените все мои записи", "обе": every booking listed, after one yes."""
    slots = ctx.session.slots
    slots.awaiting, slots.target_booking = "confirm_all", None
    return [R.confirm_cancel_all([b.label for b in slots.bookings])]


async def _cancel_all(ctx: TurnContext) -> list[Reply]:
    slots = ctx.session.slots
    cancelled = 0
    for item in list(slots.bookings):
        try:
            await ctx.deps.crm.cancel_booking(item.booking_id)
        except NotFound:
            pass
        except CrmError as exc:
            log.warning("cancel_failed", error=type(exc).__name__)
            await ctx.deps.admin.notify_admin(
                A.cancel_failed(item.booking_id, type(exc).__name__, ctx.session),
                trace_id=ctx.message.trace_id,
            )
            continue
        await ctx.deps.reminders.cancel_for(item.booking_id)
        cancelled += 1
    done(ctx)
    return [R.cancelled_all(cancelled)]


def _same_weekday(items: list[OfferedBooking], when: When) -> list[OfferedBooking]:
    """ "ту что в субботу" when the booking is on a later Saturday than the next one: a
    weekday names the client's booking on that weekday, whichever week it falls in."""
    days = when.all_days
    if len(days) != 1 or when.at is not None:
        return []
    return [b for b in items if b.date.isoweekday() == days[0].isoweekday()]


def _as_lesson(item: OfferedBooking) -> Lesson:
    """Enough of a lesson to match a booking against a day and a time."""
    return Lesson(
        schedule_id=item.schedule_id,
        date=item.date,
        start=item.start,
        end=item.start,
        group_id=0,
        group_name=item.label,
        capacity=0,
        free_places=0,
    )


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
    slots.awaiting = "pick"
    return R.pick_booking(
        [(b.label, lesson_button(b.start), f"booking:{b.booking_id}") for b in slots.bookings[:6]],
        reschedule=slots.reschedule,
    )


async def _confirm(ctx: TurnContext, chosen: OfferedBooking) -> list[Reply]:
    slots = ctx.session.slots
    slots.target_booking = chosen
    try:
        lesson = await lesson_of(ctx, chosen)
    except CrmError:
        done(ctx)
        return [R.crm_unavailable_schedule()]
    if lesson is None:
        done(ctx)
        return [R.booking_gone()]
    if slots.reschedule:
        return _start_move(ctx, chosen, lesson)
    slots.awaiting = "confirm"
    late = ctx.deps.kb.policies.late_cancel_hours
    is_late = lesson.start - ctx.now < timedelta(hours=late)
    return [R.confirm_cancel(lesson, late_hours=late if is_late else None)]


def _start_move(ctx: TurnContext, chosen: OfferedBooking, lesson: Lesson) -> list[Reply]:
    """Moving = booking a new lesson of the same service; the old one goes when it exists.
    When the client already said where to ("на пятницу"), the manager goes on to the
    lessons of that day (``move_target``)."""
    slots = ctx.session.slots
    slots.awaiting = None
    slots.service_id = chosen.service_id
    slots.lesson = None
    ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
    return [R.reschedule_to_what(lesson)]


def move_target(ctx: TurnContext) -> WhenSpec | None:
    """Where the move goes, when the client said it with the request; taken once."""
    slots = ctx.session.slots
    if not slots.reschedule or slots.target_booking is None or slots.service_id is None:
        return None
    target, slots.move_to = slots.move_to, None
    return target


async def lesson_of(ctx: TurnContext, chosen: OfferedBooking) -> Lesson | None:
    lessons = await ctx.deps.crm.get_schedule(date_from=chosen.date, date_to=chosen.date)
    return next((x for x in lessons if x.schedule_id == chosen.schedule_id), None)


async def _cancel(ctx: TurnContext, chosen: OfferedBooking) -> list[Reply]:
    try:
        lesson = await lesson_of(ctx, chosen)
        await ctx.deps.crm.cancel_booking(chosen.booking_id)
    except NotFound:
        done(ctx)
        return [R.booking_gone()]
    except CrmError as exc:
        log.warning("cancel_failed", error=type(exc).__name__)
        done(ctx)
        await ctx.deps.admin.notify_admin(
            A.cancel_failed(chosen.booking_id, type(exc).__name__, ctx.session),
            trace_id=ctx.message.trace_id,
        )
        return [R.crm_unavailable_booking()]
    await ctx.deps.reminders.cancel_for(chosen.booking_id)
    log.info("booking_cancelled", booking_id=chosen.booking_id)
    done(ctx)
    return [R.cancelled(lesson) if lesson else R.cancel_kept()]


async def cancel_replaced(ctx: TurnContext, old: OfferedBooking) -> Lesson | None:
    """After a move's new booking exists: cancel the old one. Returns the old lesson, or None
    when the old booking could not be cancelled (the admin is told)."""
    lesson: Lesson | None = None
    try:
        lesson = await lesson_of(ctx, old)
        await ctx.deps.crm.cancel_booking(old.booking_id)
    except NotFound:
        await ctx.deps.reminders.cancel_for(old.booking_id)
        return lesson
    except CrmError as exc:
        await ctx.deps.admin.notify_admin(
            A.move_old_kept(old.booking_id, type(exc).__name__), trace_id=ctx.message.trace_id
        )
        return None
    await ctx.deps.reminders.cancel_for(old.booking_id)
    return lesson


def done(ctx: TurnContext) -> None:
    slots = ctx.session.slots
    slots.awaiting, slots.target_booking, slots.bookings, slots.reschedule = None, None, [], False
    slots.cancel_ref, slots.move_to = None, None
    ctx.session.move_to(State.IDLE, now=ctx.now)
