"""The dialogue manager: the message's commands applied in the conversation's state (DESIGN §5).

A message is understood once (``nlu.understand``, or the LLM command generator when one is
configured and answers) into commands. The manager then

1. hands the chat to the admin when asked to (a request for a person, a complaint, a KB
   trigger);
2. answers every question the message asks (prices, schedule, studio facts, FAQ), in one
   go;
3. moves the flow the message is about (booking, series, cancel/move) with the details it
   carries — in any state: a phone given while lessons are shown is kept, a correction at the
   summary re-summarises and never books the old lesson, a booking named in the cancel flow
   is selected;
4. puts the replies together so that only the last message asks something.

Button payloads (``service:ID``, ``lesson:…``, ``booking:ID``, ``yes``/``no``) are the bot's
own protocol and are read before any understanding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import structlog

from dancebot.dialogue import booking, cancel, consult, handoff, info, lateness, serial, test_mode
from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.admin import is_admin_command
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.commands import (
    AskFaq,
    AskInfo,
    AskPrice,
    AskSchedule,
    BookSeries,
    CancelBooking,
    ChooseOption,
    Command,
    Confirm,
    Correct,
    Decline,
    Deny,
    Greet,
    Handoff,
    HandoffReason,
    Presence,
    ReportLate,
    Reschedule,
    SetSlots,
    StartBooking,
    Thanks,
    Unclear,
    Understanding,
    WhenSpec,
)
from dancebot.domain.fsm import State
from dancebot.domain.session import PendingBooking
from dancebot.kb.schema import Service
from dancebot.nlu.temporal import When, lesson_count, serial_from
from dancebot.nlu.understand import BOOKING_STATES, understand

log = structlog.get_logger(__name__)

ADMIN_STATES = frozenset({State.HANDOFF_TO_ADMIN, State.ADMIN_RESPONDING})
QUESTIONS = (AskPrice, AskSchedule, AskInfo, AskFaq)
MISUNDERSTOOD_LIMIT = 2  # the bot failing to understand twice in a row → the admin
_HANDOFF_REASONS = {
    HandoffReason.REQUEST: "клиент просит администратора",
    HandoffReason.COMPLAINT: "клиент жалуется",
    HandoffReason.TRIGGER: "триггер из базы знаний",
}
_LAST_QUESTION = re.compile(r"\s*[^.!?\n]*\?\s*$")


async def route(ctx: TurnContext) -> list[Reply]:
    """One message in, the replies out; the session is updated in place."""
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
    if (payload := await _button(ctx)) is not None:
        return await _then_pending(ctx, payload)
    ctx.understanding = await _understand(ctx)
    log.info(
        "understood",
        commands=list(ctx.understanding.kinds),
        source=ctx.understanding.source,
        state=ctx.session.state.value,
    )
    return await _then_pending(ctx, await apply(ctx))


async def _understand(ctx: TurnContext) -> Understanding:
    """The LLM's reading when one is configured and answers; the deterministic one always
    (it is the fallback and the degradation level L2)."""
    rules = understand(ctx.text, ctx.session, ctx.deps.kb, ctx.today)
    generator = ctx.deps.command_generator
    if generator is None:
        return rules
    llm = await generator.generate(
        ctx.text, ctx.session, ctx.deps.kb, ctx.today, trace_id=ctx.message.trace_id
    )
    if llm is None:
        return rules
    if _booking_facts(llm) != _booking_facts(rules):
        log.info(
            "llm_rules_disagree",
            llm=list(llm.kinds),
            rules=list(rules.kinds),
            state=ctx.session.state.value,
        )
    # the client's own details are taken as the deterministic parser read them (libphonenumber,
    # names as written): the LLM's commands, the entities of the rules
    return llm.model_copy(update={"entities": rules.entities})


def _booking_facts(u: Understanding) -> tuple[object, ...]:
    facts: list[object] = []
    for c in u.commands:
        if isinstance(c, StartBooking | Correct | SetSlots | BookSeries):
            facts.append((c.type, c.service_id, c.when))
    return tuple(facts)


async def apply(ctx: TurnContext) -> list[Reply]:
    """The understood commands, applied: hand-off first, then answers, then the flow."""
    u = ctx.understanding
    wanted_handoff = u.first(Handoff)
    if isinstance(wanted_handoff, Handoff):
        return await handoff.start(ctx, reason=_HANDOFF_REASONS[wanted_handoff.reason])
    questions = [c for c in u.commands if isinstance(c, QUESTIONS)]
    actions = [c for c in u.commands if not isinstance(c, QUESTIONS)]
    if any(not isinstance(c, Unclear | Presence) for c in u.commands):
        ctx.session.misunderstood = 0
    answers: list[Reply] = []
    for question in questions:
        answers += await _answer(
            ctx, question, in_flow=_in_flow(ctx) or bool(actions_moving(actions))
        )
    flow = await _drive(ctx, actions, answered=bool(answers))
    return compose(answers, flow)


def actions_moving(actions: Sequence[Command]) -> list[Command]:
    """The commands that move a flow (not greetings, thanks or "не понял")."""
    return [c for c in actions if not isinstance(c, Greet | Thanks | Presence | Unclear)]


def _in_flow(ctx: TurnContext) -> bool:
    return ctx.session.state in BOOKING_STATES or ctx.session.state in (
        State.SERIAL_BOOKING,
        State.CANCEL_FLOW,
    )


def compose(answers: list[Reply], flow: list[Reply]) -> list[Reply]:
    """Answers first, then the flow; only the last message that asks keeps its question."""
    replies = [*answers, *flow]
    asking = [i for i, r in enumerate(replies) if r.text.rstrip().endswith("?")]
    for i in asking[:-1]:
        replies[i] = _without_question(replies[i])
    return [r for r in replies if r.text.strip()]


def _without_question(reply: Reply) -> Reply:
    text = _LAST_QUESTION.sub("", reply.text).rstrip()
    if not text:
        return reply
    return Reply(text, reply.buttons)


# --- questions ---------------------------------------------------------------------------


async def _answer(ctx: TurnContext, question: Command, *, in_flow: bool) -> list[Reply]:
    kb = ctx.deps.kb
    if isinstance(question, AskPrice):
        service = _service(ctx, question.service_id) or _slot_service(ctx)
        return await consult.prices(ctx, service, trial=question.trial)
    if isinstance(question, AskSchedule):
        service = _service(ctx, question.service_id)
        when = ctx.resolve(question.when)
        if service is None and when.is_empty:
            service = _slot_service(ctx)
        return await consult.schedule(ctx, service, when, keep_state=in_flow)
    if isinstance(question, AskInfo):
        service = _service(ctx, question.service_id)
        return await info.answer(ctx, question.topic, service, question.text)
    if isinstance(question, AskFaq):
        return await info.faq_or_admin(ctx, question.text)
    log.warning("unknown_question", kind=type(question).__name__)
    return [R.not_understood()] if kb else []


# --- the flow ----------------------------------------------------------------------------


async def _drive(ctx: TurnContext, actions: Sequence[Command], *, answered: bool) -> list[Reply]:
    """The flow step the message's non-question commands make, in the current state."""
    state = ctx.session.state
    late = next((c for c in actions if isinstance(c, ReportLate)), None)
    if late is not None:
        return await lateness.late(ctx, late.minutes)
    change = next((c for c in actions if isinstance(c, CancelBooking | Reschedule)), None)
    if state == State.CANCEL_FLOW:
        return await _in_cancel_flow(ctx, actions, change)
    if change is not None and not (state in BOOKING_STATES and _drops_draft(change)):
        return await _start_change(ctx, change)
    starts = [c for c in actions if isinstance(c, StartBooking | BookSeries)]
    if state in BOOKING_STATES or state == State.SERIAL_BOOKING:
        starts = [c for c in starts if c.service_id is not None]
    if starts:
        return await _start_requests(ctx, starts)
    if state == State.SERIAL_BOOKING:
        return await serial.on_message(ctx, _when_of(ctx, actions))
    if any(isinstance(c, Decline) for c in actions) and not _corrects_something(actions):
        return _decline(ctx, answered=answered)
    if state in BOOKING_STATES:
        return await _in_booking(ctx, actions, answered=answered)
    if state == State.BROWSING_SCHEDULE and (step := await _after_schedule(ctx, actions)):
        return step
    return await _idle(ctx, actions, answered=answered)


def _drops_draft(change: Command) -> bool:
    """ "отмена" while a booking is drafted (no booking of the client's named)."""
    return isinstance(change, CancelBooking) and change.ref.is_empty


def _corrects_something(actions: Sequence[Command]) -> bool:
    return any(isinstance(c, SetSlots | Correct) and (c.service_id or c.when) for c in actions)


def _when_of(ctx: TurnContext, actions: Sequence[Command]) -> When:
    """The day/time the message's commands carry (the last one said wins)."""
    specs: list[WhenSpec] = [
        c.when
        for c in actions
        if isinstance(c, SetSlots | Correct | StartBooking | BookSeries) and c.when is not None
    ]
    if specs:
        return ctx.resolve(specs[-1])
    return ctx.resolve(ctx.entities.when)


async def _start_change(ctx: TurnContext, change: Command) -> list[Reply]:
    assert isinstance(change, CancelBooking | Reschedule)
    if isinstance(change, Reschedule):
        replies = await cancel.start(ctx, reschedule=True, ref=change.ref, to=change.to)
    else:
        replies = await cancel.start(ctx, reschedule=False, ref=change.ref, to=None)
    return await _continue_move(ctx, replies)


async def _continue_move(ctx: TurnContext, replies: list[Reply]) -> list[Reply]:
    """A move whose booking is picked and whose new day was said goes straight on to the
    lessons of that day."""
    target = cancel.move_target(ctx)
    if target is None:
        return replies
    return await booking.choose_lesson(ctx, ctx.resolve(target))


async def _in_cancel_flow(
    ctx: TurnContext, actions: Sequence[Command], change: Command | None
) -> list[Reply]:
    slots = ctx.session.slots
    u = ctx.understanding
    if slots.awaiting == "phone":
        if (
            ctx.entities.phone is None
            and change is not None
            and isinstance(change, CancelBooking | Reschedule)
        ):
            return await _start_change(ctx, change)
        return await cancel.on_phone(ctx, ctx.entities.phone, attempted=ctx.entities.phone_attempt)
    if slots.awaiting in ("confirm", "confirm_all"):
        if u.first(Confirm) is not None or (
            isinstance(change, CancelBooking) and change.ref.is_empty
        ):
            return await cancel.answer(ctx, yes=True)
        if u.first(Deny) is not None or u.first(Decline) is not None:
            return await cancel.answer(ctx, yes=False)
        if isinstance(change, CancelBooking | Reschedule) and not change.ref.is_empty:
            return await _start_change(ctx, change)
        return cancel.repeat(ctx)
    if any(isinstance(c, Decline | Deny) for c in actions) and change is None:
        cancel.done(ctx)
        return [R.cancel_kept()]
    choice = u.first(ChooseOption)
    if isinstance(choice, ChooseOption):
        return await _continue_move(ctx, await cancel.pick(ctx, index=choice.index, ref=None))
    if isinstance(change, CancelBooking | Reschedule):
        if isinstance(change, Reschedule) and change.to is not None:
            slots.move_to = change.to
        return await _continue_move(ctx, await cancel.pick(ctx, index=None, ref=change.ref))
    return cancel.repeat(ctx)


async def _start_requests(ctx: TurnContext, starts: Sequence[Command]) -> list[Reply]:
    """One or more booking requests: the first is started now, the others wait their turn
    (one after the other, never dropped)."""
    first, rest = starts[0], starts[1:]
    slots = ctx.session.slots
    slots.pending = [
        PendingBooking(service_id=c.service_id, when=c.when)
        for c in rest
        if isinstance(c, StartBooking | BookSeries)
    ]
    note = [R.pending_noted(_pending_names(ctx))] if slots.pending else []
    if isinstance(first, BookSeries):
        return [*note, *await _start_series(ctx, first)]
    assert isinstance(first, StartBooking)
    if ctx.session.state == State.SERIAL_BOOKING:
        slots.serial = None
    service = _service(ctx, first.service_id)
    return [*note, *await booking.start(ctx, service, ctx.resolve(first.when))]


def _pending_names(ctx: TurnContext) -> list[str]:
    names = []
    for item in ctx.session.slots.pending:
        service = _service(ctx, item.service_id)
        names.append(service.name if service else "ещё одно занятие")
    return names


async def _start_series(ctx: TurnContext, command: BookSeries) -> list[Reply]:
    service = _service(ctx, command.service_id)
    when = ctx.resolve(command.when)
    request = serial_from(when, today=ctx.today, lessons=command.lessons or lesson_count(ctx.text))
    if request is None:
        return await booking.start(ctx, service, when)
    return await serial.start(ctx, service, request)


async def _then_pending(ctx: TurnContext, replies: list[Reply]) -> list[Reply]:
    """After a booking is done (or queued), start the next one the client asked for."""
    slots = ctx.session.slots
    if not slots.pending or ctx.session.state not in (State.BOOKING_DONE, State.IDLE):
        return replies
    if ctx.session.state == State.BOOKING_DONE:
        ctx.session.move_to(State.IDLE, now=ctx.now)
    nxt = slots.pending.pop(0)
    service = _service(ctx, nxt.service_id)
    return compose(replies, await booking.start(ctx, service, ctx.resolve(nxt.when)))


def _decline(ctx: TurnContext, *, answered: bool) -> list[Reply]:
    state = ctx.session.state
    ctx.session.slots.pending = []
    if state in BOOKING_STATES or state == State.BROWSING_SCHEDULE:
        booking.drop(ctx)
        return [R.booking_dropped()]
    return [] if answered else [R.anything_else()]


async def _in_booking(
    ctx: TurnContext, actions: Sequence[Command], *, answered: bool
) -> list[Reply]:
    """A message while a booking is being put together."""
    slots = ctx.session.slots
    state = ctx.session.state
    changes = [c for c in actions if isinstance(c, SetSlots | Correct | StartBooking)]
    new_service = next(
        (c.service_id for c in changes if c.service_id and c.service_id != slots.service_id),
        None,
    )
    specs = [
        c.when
        for c in changes
        if (c.when is not None and not c.when.is_empty) or (c.when and c.when.text)
    ]
    took = booking.take_contact(ctx)
    if new_service is not None:  # "ой нет, мне растяжка нужна, в 20:30": same day, new style
        if specs:
            when = booking.corrected_when(ctx, ctx.resolve(specs[-1]))
        else:  # the style alone: that day's lessons of the new style first
            when = When(day=slots.lesson.date) if slots.lesson is not None else When()
        return await booking.start(ctx, _service(ctx, new_service), when)
    if state == State.COLLECTING_GROUP:
        if specs:
            slots.wanted = specs[-1]
        return [R.ask_service(ctx.deps.kb.services)]
    choice = next((c for c in actions if isinstance(c, ChooseOption)), None)
    if choice is not None and slots.offered:
        return await booking.pick_offered(ctx, choice.index)
    if specs:
        when = booking.corrected_when(ctx, ctx.resolve(specs[-1]))
        return await booking.choose_lesson(ctx, when)
    if state == State.CONFIRM_BOOKING:
        return await _at_summary(ctx, actions, took=took)
    if state == State.COLLECTING_CONTACT:
        if not took and ctx.entities.phone_attempt:
            return [R.invalid_phone()]
        return await booking.continue_booking(ctx)
    # collecting_datetime
    if slots.offered and (ref := booking.offered_by_label(ctx)) is not None:
        return await booking.pick_ref(ctx, ref)
    if answered and not took:
        return [R.resume_booking()]
    return await booking.not_picked(ctx)


async def _at_summary(ctx: TurnContext, actions: Sequence[Command], *, took: bool) -> list[Reply]:
    """ "Записываю: … Всё верно?" — yes books; a change re-summarises; no asks what to change."""
    said_no = any(isinstance(c, Deny | Correct) for c in actions)
    if took:
        return await booking.continue_booking(ctx)
    if any(isinstance(c, Confirm) for c in actions) and not said_no:
        return await booking.execute(ctx)
    if said_no:
        return await booking.what_to_change(ctx)
    return await booking.continue_booking(ctx)


async def _after_schedule(ctx: TurnContext, actions: Sequence[Command]) -> list[Reply] | None:
    """After "Записать вас?" under a schedule: "да", "вторую", "в среду" book from it."""
    service = _slot_service(ctx)
    if any(isinstance(c, Confirm) for c in actions):
        return await booking.from_schedule(ctx, service)
    choice = next((c for c in actions if isinstance(c, ChooseOption)), None)
    if choice is not None and service is not None and ctx.session.slots.offered:
        ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
        booking.take_contact(ctx)
        return await booking.pick_offered(ctx, choice.index)
    when = _when_of(ctx, [c for c in actions if isinstance(c, SetSlots)])
    if service is not None and not when.is_empty and any(isinstance(c, SetSlots) for c in actions):
        return await booking.start(ctx, service, when)
    return None


async def _idle(ctx: TurnContext, actions: Sequence[Command], *, answered: bool) -> list[Reply]:
    contact = [c for c in actions if isinstance(c, SetSlots) and (c.name or c.phone)]
    if contact:  # "Аня 8916…" with nothing else: the client means to book
        booking.take_contact(ctx)
        ctx.session.move_to(State.COLLECTING_GROUP, now=ctx.now)
        return [R.ask_service(ctx.deps.kb.services)]
    if answered:
        return []
    if any(isinstance(c, Greet) for c in actions):
        return consult.greeting(ctx)
    if any(isinstance(c, Presence) for c in actions):
        return [R.here()]
    if any(isinstance(c, Confirm | Deny | Thanks | Decline | ChooseOption) for c in actions):
        return [R.anything_else()]
    return await _unknown(ctx)


async def _unknown(ctx: TurnContext) -> list[Reply]:
    """One clarifying question; the second miss in a row goes to the admin."""
    ctx.session.misunderstood += 1
    if ctx.session.misunderstood >= MISUNDERSTOOD_LIMIT:
        ctx.session.misunderstood = 0
        return await handoff.start(ctx, reason="бот дважды не понял клиента")
    return [R.not_understood()]


# --- buttons -----------------------------------------------------------------------------


async def _button(ctx: TurnContext) -> list[Reply] | None:
    """Button payloads the bot itself offered: ``service:ID``, ``price:ID``, ``book``…"""
    kind, _, value = ctx.text.partition(":")
    kb = ctx.deps.kb
    picked = kb.service_by_id(value) if value else None
    if kind == "service" and picked:
        return await booking.start(ctx, picked, When())
    if kind == "price" and picked:
        return await consult.prices(ctx, picked)
    if kind == "schedule" and picked:
        return await consult.schedule(ctx, picked, When())
    if ctx.text == "book":
        return await booking.from_schedule(ctx, _slot_service(ctx))
    if kind == "lesson" and (ref := L.parse_lesson_payload(ctx.text)) is not None:
        if ctx.session.state != State.COLLECTING_DATETIME:
            ctx.session.move_to(State.COLLECTING_DATETIME, now=ctx.now)
        return await booking.pick_ref(ctx, ref)
    if ctx.session.state == State.CANCEL_FLOW:
        if ctx.text in ("yes", "no"):
            return await cancel.answer(ctx, yes=ctx.text == "yes")
        if (item := cancel.by_button(ctx, ctx.text)) is not None:
            return await _continue_move(ctx, await cancel.chosen(ctx, item))
    return None


def _service(ctx: TurnContext, service_id: str | None) -> Service | None:
    return ctx.deps.kb.service_by_id(service_id) if service_id else None


def _slot_service(ctx: TurnContext) -> Service | None:
    return _service(ctx, ctx.session.slots.service_id)
