"""CC-9 "я опаздываю": the booking is not changed; the admin (and so the teacher) is told."""

from __future__ import annotations

import re

import structlog

from dancebot.dialogue import replies as R
from dancebot.dialogue.context import TurnContext
from dancebot.dialogue.replies import Reply
from dancebot.domain.crm import Lesson
from dancebot.domain.errors import CrmError
from dancebot.nlu.phone import find_phone

log = structlog.get_logger(__name__)
_MINUTES = re.compile(r"(\d{1,3})\s*(?:мин|м\b)|минут\w*\s+на\s+(\d{1,3})", re.IGNORECASE)


def delay_minutes(text: str) -> int | None:
    """ "на 10 минут" → 10, "минут на 15" → 15, "на полчаса" → 30."""
    if "полчаса" in text.casefold():
        return 30
    m = _MINUTES.search(text)
    return int(m.group(1) or m.group(2)) if m else None


async def late(ctx: TurnContext) -> list[Reply]:
    minutes = delay_minutes(ctx.text)
    lesson = await _todays_lesson(ctx)
    who = ctx.session.slots.client_name or ctx.message.sender_name or ctx.session.chat_id
    what = (
        f"{lesson.group_name} {lesson.start:%H:%M}" if lesson else "занятие не найдено по телефону"
    )
    await ctx.deps.admin.notify_admin(
        f"⏰ Опоздание: {who} ({ctx.session.channel.value}, чат {ctx.session.chat_id}) "
        f"задержится{f' на {minutes} мин' if minutes else ''}; {what}. Предупредите преподавателя.",
        trace_id=ctx.message.trace_id,
    )
    return [R.lateness_noted(minutes, lesson)]


async def _todays_lesson(ctx: TurnContext) -> Lesson | None:
    slots = ctx.session.slots
    phone = find_phone(ctx.text) or slots.client_phone or ctx.message.sender_phone
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
