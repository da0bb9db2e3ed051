"""Which handler answers a message, given the FSM state and what the message says.

Priorities follow RFC §8.1: admin/cancel/booking first, then schedule/price, then info and
lateness, then greetings. A question in the middle of a booking is answered and the booking
resumes (RFC §7.2).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import structlog

from dancebot.dialogue import booking, cancel, consult, handoff, lateness, serial, test_mode
from dancebot.dialogue import replies as R
from dancebot.dialogue.admin import is_admin_command
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.fsm import State
from dancebot.kb.schema import Service
from dancebot.nlu.intents import Intent, detect_intents, is_decline
from dancebot.nlu.phone import find_phone
from dancebot.nlu.temporal import parse_serial, parse_when

log = structlog.get_logger(__name__)

BOOKING_STATES = frozenset(
    {
        State.COLLECTING_GROUP,
        State.COLLECTING_DATETIME,
        State.COLLECTING_CONTACT,
        State.CONFIRM_BOOKING,
    }
)
ADMIN_STATES = frozenset({State.HANDOFF_TO_ADMIN, State.ADMIN_RESPONDING})
_QUESTIONS = frozenset({Intent.PRICE, Intent.SCHEDULE, Intent.INFO})
_QUESTION_WORDS = re.compile(
    r"^(?:а\s+)?(?:как|где|когда|можно|есть ли|сколько|что|какие|какой|какая|кто|почему|"
    r"зачем|нужно ли|нужна ли|нужен ли|чем|ли|бывает|работаете|принимаете)\b"
)
MISUNDERSTOOD_LIMIT = 2  # the bot failing to understand twice in a row → the admin


async def route(ctx: TurnContext) -> list[Reply]:
    if is_admin_command(ctx.text):  # only the admin chat may: a client's "/reply" is ignored
        log.warning("admin_command_from_client_ignored", chat_id=ctx.session.chat_id)
        return []
    if ctx.deps.test_mode and ctx.text.startswith("/"):
        answer = await test_mode.command(ctx)
        if answer is not None:
            return answer
    state = ctx.session.state
    if state in ADMIN_STATES:
        return await handoff.relay(ctx)
    if state == State.BOOKING_DONE:
        ctx.session.move_to(State.IDLE, now=ctx.now)
    if (reason := _escalation_reason(ctx)) is not None:
        return await handoff.start(ctx, reason=reason)
    if (payload := await _button(ctx)) is not None:
        return payload
    intents = detect_intents(ctx.text)
    service = _service_in(ctx)
    if ctx.session.state in BOOKING_STATES:
        return await _in_booking(ctx, intents, service)
    if ctx.session.state == State.SERIAL_BOOKING and intents[0] not in _QUESTIONS:
        return await serial.on_message(ctx)
    if ctx.session.state == State.CANCEL_FLOW and intents[0] in (
        Intent.UNKNOWN,
        Intent.YES,
        Intent.NO,
        Intent.CANCEL,
    ):
        return await cancel.on_message(ctx)
    return await _idle(ctx, intents, service)


def _escalation_reason(ctx: TurnContext) -> str | None:
    """The explicit triggers: a request for a person, a complaint, the KB's own phrases."""
    text = ctx.text.casefold()
    if Intent.ADMIN in detect_intents(ctx.text):
        return "клиент просит администратора или жалуется"
    for trigger in ctx.deps.kb.escalation.triggers:
        if trigger.casefold() in text:
            return f"триггер «{trigger}»"
    return None


async def _idle(ctx: TurnContext, intents: list[Intent], service: Service | None) -> list[Reply]:
    top = intents[0]
    if top not in (Intent.UNKNOWN, Intent.PRESENCE):
        ctx.session.misunderstood = 0
    if top == Intent.CANCEL:
        # "за сколько часов можно отменить?" asks about the rule: the FAQ answers it
        if _about_the_rule(ctx.text) and (hit := ctx.deps.faq.best(ctx.text)) is not None:
            return [R.faq_answer(hit.entry.a)]
        return await cancel.start(ctx, reschedule=_is_move(ctx.text))
    action = _ACTIONS.get(top)
    if action is not None:
        return await action(ctx, service)
    if top == Intent.INFO and (answer := consult.info(ctx, service)) is not None:
        return answer
    if top == Intent.GREETING:
        return consult.greeting(ctx)
    if top == Intent.PRESENCE:
        return [R.here()]
    if top == Intent.YES and ctx.session.state == State.BROWSING_SCHEDULE:  # "Записать вас?"
        return await booking.from_schedule(ctx, _slot_service(ctx))
    if top in (Intent.YES, Intent.NO, Intent.THANKS) and service is None:
        return [R.anything_else()]  # a stray "да" / "спасибо" after the bot has finished
    return await _question_or_style(ctx, top, service)


async def _question_or_style(ctx: TurnContext, top: Intent, service: Service | None) -> list[Reply]:
    """No clear intent: the FAQ, a tariff question, a bare style name, or we do not know."""
    if (hit := ctx.deps.faq.best(ctx.text)) is not None:
        ctx.session.misunderstood = 0
        return [R.faq_answer(hit.entry.a)]
    if consult.asks_about_tariff(ctx.text):  # "а абонемент на контемп?"
        return await consult.prices(ctx, service or _slot_service(ctx))
    question = _looks_like_question(ctx.text)
    if top == Intent.UNKNOWN and service is not None and not question:
        return await _book(ctx, service)  # just a style name: offer its lessons
    return await _unknown(ctx, question=question)


async def _book(ctx: TurnContext, service: Service | None) -> list[Reply]:
    """One lesson, or a series when the client names weekdays to repeat (S6)."""
    request = parse_serial(ctx.text, today=ctx.today)
    if request is not None:
        return await serial.start(ctx, service, request)
    return await booking.start(ctx, service)


async def _unknown(ctx: TurnContext, *, question: bool) -> list[Reply]:
    """A real question the KB cannot answer goes to the admin; anything else gets one
    clarifying question, and the second miss in a row goes to the admin."""
    if question:
        return await handoff.ask_admin(ctx, reason="вопрос без ответа в базе знаний")
    ctx.session.misunderstood += 1
    if ctx.session.misunderstood >= MISUNDERSTOOD_LIMIT:
        ctx.session.misunderstood = 0
        return await handoff.start(ctx, reason="бот дважды не понял клиента")
    return [R.not_understood()]


async def _schedule(ctx: TurnContext, service: Service | None) -> list[Reply]:
    return await consult.schedule(ctx, service)


async def _late(ctx: TurnContext, service: Service | None) -> list[Reply]:
    return await lateness.late(ctx)


_MINE = re.compile(r"\b(?:мо[юйяе]|меня|мне|мы|нас|я)\b")


def _about_the_rule(text: str) -> bool:
    """ "за сколько часов можно отменить?" asks about the rule; "можно перенести мою запись?"
    asks to do it."""
    return _looks_like_question(text) and _MINE.search(text.casefold()) is None


def _looks_like_question(text: str) -> bool:
    t = text.casefold().strip()
    return "?" in t or _QUESTION_WORDS.search(t) is not None


async def _in_booking(
    ctx: TurnContext, intents: list[Intent], service: Service | None
) -> list[Reply]:
    state = ctx.session.state
    top = intents[0]
    if is_decline(ctx.text) and top != Intent.CANCEL:
        booking.drop(ctx)
        return [R.booking_dropped()]
    if top == Intent.CANCEL and state != State.CONFIRM_BOOKING:
        return await cancel.start(ctx, reschedule=_is_move(ctx.text))
    if (top in _QUESTIONS and Intent.BOOKING not in intents) or _side_question(ctx, top):
        # a question mid-booking: answer it, then come back to the booking (RFC §7.2)
        return [*await _side_answer(ctx, top, service), R.resume_booking()]
    if service is not None and service.id != ctx.session.slots.service_id:
        return await booking.start(ctx, service)
    if state == State.COLLECTING_GROUP:
        if service is None:
            return [R.ask_service(ctx.deps.kb.services)]
        return await booking.start(ctx, service)
    if state == State.COLLECTING_DATETIME:
        return await booking.on_datetime(ctx)
    if state == State.COLLECTING_CONTACT:
        return await booking.on_contact(ctx)
    return await booking.on_confirm(ctx)


def _side_question(ctx: TurnContext, top: Intent) -> bool:
    """A question that carries nothing for the booking itself (no phone, day, time, name,
    yes or no): "а в чём приходить?", "а можно с собакой?"."""
    if top not in (Intent.UNKNOWN, Intent.INFO) or not _looks_like_question(ctx.text):
        return False
    return find_phone(ctx.text) is None and parse_when(ctx.text, today=ctx.today).is_empty


async def _side_answer(ctx: TurnContext, top: Intent, service: Service | None) -> list[Reply]:
    about = service or _slot_service(ctx)
    if top == Intent.PRICE:
        return await consult.prices(ctx, about)
    if top == Intent.SCHEDULE:
        return await consult.schedule(ctx, about, keep_state=True)
    answer = consult.info(ctx, about)
    if answer is not None:
        return answer
    hit = ctx.deps.faq.best(ctx.text)
    if hit is not None:
        return [R.faq_answer(hit.entry.a)]
    return await handoff.ask_admin(ctx, reason="вопрос без ответа в базе знаний")


async def _button(ctx: TurnContext) -> list[Reply] | None:
    """Button payloads the bot itself offered: ``service:ID``, ``price:ID``, ``book``…"""
    kind, _, value = ctx.text.partition(":")
    kb = ctx.deps.kb
    picked = kb.service_by_id(value) if value else None
    if kind == "service" and picked:
        return await booking.start(ctx, picked)
    if kind == "price" and picked:
        return await consult.prices(ctx, picked)
    if kind == "schedule" and picked:
        return await consult.schedule(ctx, picked)
    if ctx.text == "book":
        return await booking.from_schedule(ctx, _slot_service(ctx))
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


_ACTIONS: dict[Intent, Callable[[TurnContext, Service | None], Awaitable[list[Reply]]]] = {
    Intent.BOOKING: _book,
    Intent.PRICE: consult.prices,
    Intent.SCHEDULE: _schedule,
    Intent.LATENESS: _late,
}
