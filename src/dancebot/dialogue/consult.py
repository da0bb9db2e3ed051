"""S1: answers from the knowledge base and the CRM — prices, schedule, FAQ, greeting."""

from __future__ import annotations

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


async def schedule(ctx: TurnContext, service: Service | None) -> list[Reply]:
    if service is None:
        return [R.ask_service(ctx.deps.kb.services, purpose="посмотреть расписание")]
    try:
        lessons = await L.upcoming_lessons(ctx, service, days=SCHEDULE_DAYS)
    except CrmError as exc:
        log.warning("schedule_unavailable", error=type(exc).__name__)
        return [R.crm_unavailable_schedule()]
    if not lessons:
        return [R.no_lessons(service.name)]
    ctx.session.slots.service_id = service.id
    return [R.schedule(service.name, lessons)]


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
