"""S1: answers from the knowledge base and the CRM — prices, schedule, FAQ, greeting."""

from __future__ import annotations

from datetime import timedelta

import structlog

from dancebot.dialogue import lessons as L
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.errors import CrmError
from dancebot.kb.schema import Service

log = structlog.get_logger(__name__)

SCHEDULE_DAYS = 7


def greeting(ctx: TurnContext) -> list[Reply]:
    return [R.greeting(ctx.deps.kb)]


def prices(ctx: TurnContext, service: Service | None) -> list[Reply]:
    if service is None:
        return [R.ask_service_for_prices(ctx.deps.kb.services)]
    return [R.prices(service)]


async def schedule(
    ctx: TurnContext, service: Service | None, *, keep_state: bool = False
) -> list[Reply]:
    """The coming week's lessons of a service, from the CRM, with free places."""
    if service is None:
        return [R.ask_service_for_schedule(ctx.deps.kb.services)]
    try:
        lessons = await L.upcoming_lessons(ctx, service, days=SCHEDULE_DAYS)
    except CrmError as exc:
        log.warning("schedule_unavailable", error=type(exc).__name__)
        return [R.crm_unavailable_schedule()]
    notice = _holiday_notice(ctx)
    if not lessons:
        return [R.holiday_notice(notice)] if notice else [R.no_lessons(service.name)]
    if not keep_state:
        ctx.session.slots.service_id = service.id
    limit = 4 if ctx.session.channel.value == "whatsapp" else 6
    reply = R.schedule(service.name, lessons, limit=limit, ask_to_book=not keep_state)
    return [R.holiday_notice(notice), reply] if notice else [reply]


def _holiday_notice(ctx: TurnContext) -> str | None:
    """The KB's holiday message when the studio rests within the coming week."""
    for shift in range(SCHEDULE_DAYS + 1):
        holiday = ctx.deps.kb.holiday_on(ctx.today + timedelta(days=shift))
        if holiday is not None:
            return holiday.message
    return None


async def answer_or_escalate(ctx: TurnContext) -> list[Reply]:
    """Answer from the FAQ when sure; otherwise promise the admin's answer and tell the admin."""
    hit = ctx.deps.faq.best(ctx.text)
    if hit is not None:
        return [R.faq_answer(hit.entry.a)]
    await ctx.deps.admin.notify_admin(
        f"Вопрос без ответа в базе знаний ({ctx.session.channel.value}, {ctx.session.chat_id}): "
        f"{ctx.text}",
        trace_id=ctx.message.trace_id,
    )
    return [R.will_ask_admin()]


_COMPARE = ("лучше", "сильнее", "круче", "лучший", "лучшая", "самый крутой", "посоветуй")
_TEACHER = ("ведет", "ведёт", "преподава", "тренер", "педагог", "учител")
_DIRECTIONS = ("направлени", "какие танц", "какие есть", "чем занимает", "какие стили")


def info(ctx: TurnContext, service: Service | None) -> list[Reply] | None:
    """Facts from the KB about services and teachers; None when the question is not that."""
    t = ctx.text.casefold()
    kb = ctx.deps.kb
    if any(w in t for w in _COMPARE):
        pairs = [(x.name, ", ".join(_style_names(ctx, x.styles))) for x in kb.teachers]
        return [R.no_comparison(pairs)]
    if any(w in t for w in _TEACHER):
        if service is None:
            pairs = [(x.name, ", ".join(_style_names(ctx, x.styles))) for x in kb.teachers]
            return [R.teachers_all(pairs)]
        teachers = [(x.name, x.specialization) for x in kb.teachers_for(service.id)]
        return [R.teachers_of(service, teachers)]
    if any(w in t for w in _DIRECTIONS):
        return [R.services_list(kb.services)]
    return None


def _style_names(ctx: TurnContext, ids: list[str]) -> list[str]:
    return [s.name for i in ids if (s := ctx.deps.kb.service_by_id(i)) is not None]
