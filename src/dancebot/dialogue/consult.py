"""S1: answers from the knowledge base and the CRM — prices, schedule, FAQ, greeting."""

from __future__ import annotations

from datetime import timedelta

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.formatting import lesson_button
from dancebot.dialogue.replies import Reply
from dancebot.domain.errors import CrmError
from dancebot.domain.fsm import State
from dancebot.kb.schema import Service
from dancebot.nlu.temporal import When
from dancebot.nlu.text import normalize

log = structlog.get_logger(__name__)

SCHEDULE_DAYS = 7


def greeting(ctx: TurnContext) -> list[Reply]:
    return [R.greeting(ctx.deps.kb)]


async def prices(ctx: TurnContext, service: Service | None, *, trial: bool = False) -> list[Reply]:
    """Prices from the KB only. A trial asked about where the KB has no trial price is a
    question for the admin (never a guess)."""
    if service is None:
        return [R.ask_service_for_prices(ctx.deps.kb.services)]
    replies = [R.prices(service)]
    if trial and service.trial_price is None:
        await ctx.deps.admin.notify_admin(
            A.trial_price_unknown(service.name, ctx.session), trace_id=ctx.message.trace_id
        )
        replies.append(R.trial_unknown())
    return replies


async def schedule(
    ctx: TurnContext, service: Service | None, when: When, *, keep_state: bool = False
) -> list[Reply]:
    """The coming week's lessons of a service (or of every service on the day the client
    named), from the CRM, with free places."""
    if service is None and not when.all_days:
        return [R.ask_service_for_schedule(ctx.deps.kb.services)]
    if service is None:
        return await _day_schedule(ctx, when)
    try:
        lessons = await L.upcoming_lessons(ctx, service, days=SCHEDULE_DAYS)
    except CrmError as exc:
        log.warning("schedule_unavailable", error=type(exc).__name__)
        return [R.crm_unavailable_schedule()]
    if when.all_days:
        lessons = L.matching(lessons, when) or lessons
    notice = _holiday_notice(ctx)
    if not lessons:
        return [R.holiday_notice(notice)] if notice else [R.no_lessons(service.name)]
    if not keep_state:
        ctx.session.slots.service_id = service.id
        ctx.session.move_to(State.BROWSING_SCHEDULE, now=ctx.now)
    limit = 4 if ctx.session.channel.value == "whatsapp" else 6
    reply = R.schedule(service.name, lessons, limit=limit, ask_to_book=not keep_state)
    if not keep_state:  # "да" / "записаться" next picks from what was shown
        ctx.session.slots.offered = [
            L.offered(x, lesson_button(x.start)) for x in lessons[:limit] if not x.is_full
        ]
    return [R.holiday_notice(notice), reply] if notice else [reply]


async def _day_schedule(ctx: TurnContext, when: When) -> list[Reply]:
    """Every service's lessons on the named day(s): "что есть в субботу вечером"."""
    day = when.all_days[0]
    holiday = ctx.deps.kb.holiday_on(day)
    if holiday is not None:
        return [R.holiday_notice(holiday.message)]
    try:
        lessons = await ctx.deps.crm.get_schedule(date_from=day, date_to=when.all_days[-1])
    except CrmError as exc:
        log.warning("schedule_unavailable", error=type(exc).__name__)
        return [R.crm_unavailable_schedule()]
    lessons = [x for x in L.matching(lessons, when) if x.start > ctx.now]
    limit = 4 if ctx.session.channel.value == "whatsapp" else 6
    return [R.day_schedule(day, lessons, limit=limit)]


def _holiday_notice(ctx: TurnContext) -> str | None:
    """The KB's holiday message when the studio rests within the coming week."""
    for shift in range(SCHEDULE_DAYS + 1):
        holiday = ctx.deps.kb.holiday_on(ctx.today + timedelta(days=shift))
        if holiday is not None:
            return holiday.message
    return None


_COMPARE_WORDS = ("лучше", "сильнее", "круче", "лучший", "лучшая", "самый крутой", "посоветуй")


def teachers(ctx: TurnContext, service: Service | None, *, compare: bool) -> list[Reply]:
    """Who teaches (from the KB), never who is better (RFC CC-10)."""
    kb = ctx.deps.kb
    if compare:
        chosen = kb.teachers_for(service.id) if service else kb.teachers
        pairs = [(x.name, ", ".join(_style_names(ctx, x.styles))) for x in chosen]
        return [R.no_comparison(pairs)]
    if service is None:
        pairs = [(x.name, ", ".join(_style_names(ctx, x.styles))) for x in kb.teachers]
        return [R.teachers_all(pairs)]
    found = [(x.name, x.specialization) for x in kb.teachers_for(service.id)]
    return [R.teachers_of(service, found)]


def asks_comparison(text: str) -> bool:
    t = normalize(text)
    return any(w in t for w in _COMPARE_WORDS)


def _style_names(ctx: TurnContext, ids: list[str]) -> list[str]:
    return [s.name for i in ids if (s := ctx.deps.kb.service_by_id(i)) is not None]
