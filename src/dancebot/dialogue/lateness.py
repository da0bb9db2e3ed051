"""CC-9 "я опаздываю": the booking is not changed; the admin (and so the teacher) is told."""

from __future__ import annotations

import structlog

from dancebot.dialogue import admin_texts as A
from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.crm import Lesson
from dancebot.domain.errors import CrmError

log = structlog.get_logger(__name__)


async def late(ctx: TurnContext, minutes: int | None) -> list[Reply]:
    lesson = await _todays_lesson(ctx)
    who = ctx.session.slots.client_name or ctx.message.sender_name or ctx.session.chat_id
    what = (
        f"{lesson.group_name} {lesson.start:%H:%M}" if lesson else "занятие не найдено по телефону"
    )
    await ctx.deps.admin.notify_admin(
        A.late_notice(who, ctx.session, minutes, what), trace_id=ctx.message.trace_id
    )
    return [R.lateness_noted(minutes, lesson)]


async def _todays_lesson(ctx: TurnContext) -> Lesson | None:
    slots = ctx.session.slots
    phone = ctx.entities.phone or slots.client_phone or ctx.message.sender_phone
    if phone is None:
        profile = await ctx.deps.profiles.load_profile(ctx.session.channel, ctx.session.chat_id)
        phone = profile.phone if profile else None
    if phone is None:
        return None
    try:
        client = await ctx.deps.crm.find_client(phone)
        if client is None:
            return None
        bookings = await ctx.deps.crm.list_bookings(client_id=client.id, date_from=ctx.today)
    except CrmError as exc:
        log.warning("lateness_lookup_failed", error=type(exc).__name__)
        return None
    today = [b.lesson for b in bookings if b.lesson is not None and b.lesson.date == ctx.today]
    upcoming = [x for x in today if x.end > ctx.now]
    return min(upcoming, key=lambda x: x.start) if upcoming else None
