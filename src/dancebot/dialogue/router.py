"""Which handler answers a message, given the FSM state and what the message says."""

from __future__ import annotations

from dancebot.dialogue import booking, cancel, consult
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.fsm import State
from dancebot.kb.schema import Service
from dancebot.nlu.intents import Intent, detect_intents

BOOKING_STATES = frozenset(
    {
        State.COLLECTING_GROUP,
        State.COLLECTING_DATETIME,
        State.COLLECTING_CONTACT,
        State.CONFIRM_BOOKING,
    }
)
_QUESTIONS = frozenset({Intent.PRICE, Intent.SCHEDULE, Intent.INFO})


async def route(ctx: TurnContext) -> list[Reply]:
    if ctx.session.state == State.BOOKING_DONE:
        ctx.session.move_to(State.IDLE, now=ctx.now)
    if (payload := await _button(ctx)) is not None:
        return payload
    intents = detect_intents(ctx.text)
    service = _service_in(ctx)
    if ctx.session.state in BOOKING_STATES:
        return await _in_booking(ctx, intents, service)
    if ctx.session.state == State.CANCEL_FLOW and intents[0] in (
        Intent.UNKNOWN,
        Intent.YES,
        Intent.NO,
        Intent.CANCEL,
    ):
        return await cancel.on_message(ctx)
    return await _idle(ctx, intents, service)


async def _idle(ctx: TurnContext, intents: list[Intent], service: Service | None) -> list[Reply]:
    top = intents[0]
    if top == Intent.CANCEL:
        return await cancel.start(ctx, reschedule=_is_move(ctx.text))
    if top == Intent.BOOKING:
        return await booking.start(ctx, service)
    if top == Intent.PRICE:
        return consult.prices(ctx, service)
    if top == Intent.SCHEDULE:
        return await consult.schedule(ctx, service)
    if top == Intent.GREETING:
        return consult.greeting(ctx)
    if top == Intent.YES and ctx.session.slots.service_id:  # "Записать вас?" → "да"
        return await booking.start(ctx, _slot_service(ctx))
    if top == Intent.UNKNOWN and service is not None:  # just a style name: offer lessons
        return await booking.start(ctx, service)
    return await consult.answer_or_escalate(ctx)


async def _in_booking(
    ctx: TurnContext, intents: list[Intent], service: Service | None
) -> list[Reply]:
    state = ctx.session.state
    top = intents[0]
    if top in _QUESTIONS and Intent.BOOKING not in intents:
        # a question mid-booking: answer it, then come back to the booking (RFC §7.2)
        answer = (
            consult.prices(ctx, service or _slot_service(ctx))
            if top == Intent.PRICE
            else (
                await consult.schedule(ctx, service or _slot_service(ctx))
                if top == Intent.SCHEDULE
                else await consult.answer_or_escalate(ctx)
            )
        )
        return [*answer, R.resume_booking()]
    if service is not None and service.id != ctx.session.slots.service_id:
        return await booking.start(ctx, service)
    if state == State.COLLECTING_GROUP:
        return (
            await booking.start(ctx, service) if service else [R.ask_service(ctx.deps.kb.services)]
        )
    if state == State.COLLECTING_DATETIME:
        return await booking.on_datetime(ctx)
    if state == State.COLLECTING_CONTACT:
        return await booking.on_contact(ctx)
    return await booking.on_confirm(ctx)


async def _button(ctx: TurnContext) -> list[Reply] | None:
    """Button payloads the bot itself offered: ``service:ID``, ``price:ID``, ``book``…"""
    kind, _, value = ctx.text.partition(":")
    kb = ctx.deps.kb
    if kind == "service" and kb.service_by_id(value):
        return await booking.start(ctx, kb.service_by_id(value))
    if kind == "price" and kb.service_by_id(value):
        return consult.prices(ctx, kb.service_by_id(value))
    if kind == "schedule" and kb.service_by_id(value):
        return await consult.schedule(ctx, kb.service_by_id(value))
    if ctx.text == "book":
        return await booking.start(ctx, _slot_service(ctx))
    if kind == "lesson":
        if ctx.session.state != State.COLLECTING_DATETIME:
            ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
        return await booking.on_datetime(ctx)
    return None


def _service_in(ctx: TurnContext) -> Service | None:
    match = ctx.deps.matcher.match(ctx.text)
    return match.service if match else None


def _slot_service(ctx: TurnContext) -> Service | None:
    sid = ctx.session.slots.service_id
    return ctx.deps.kb.service_by_id(sid) if sid else None


def _is_move(text: str) -> bool:
    return "перенес" in text.casefold() or "перенос" in text.casefold()
