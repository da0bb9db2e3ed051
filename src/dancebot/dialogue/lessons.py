"""Finding the lessons a client means, from the CRM, in the studio's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from dancebot.dialogue.context import TurnContext
from dancebot.domain.crm import Lesson, LessonRef
from dancebot.domain.session import OfferedLesson
from dancebot.kb.schema import Service
from dancebot.nlu.temporal import When

OFFER_COUNT = 3  # WhatsApp shows at most three reply buttons


def belongs_to(lesson: Lesson, service: Service) -> bool:
    """A lesson is of a KB service when its CRM style (or group) carries the service's name."""
    name = service.name.casefold()
    style = (lesson.style_name or "").casefold()
    return style == name or lesson.group_name.casefold().startswith(name)


async def upcoming_lessons(
    ctx: TurnContext, service: Service, *, days: int | None = None
) -> list[Lesson]:
    """Future lessons of ``service`` within the booking horizon, holidays left out.

    Raises ``CrmError`` when the CRM cannot be asked.
    """
    horizon = days if days is not None else ctx.deps.kb.policies.booking_horizon_days
    lessons = await ctx.deps.crm.get_schedule(
        date_from=ctx.today, date_to=ctx.today + timedelta(days=horizon)
    )
    return _upcoming(ctx, lessons, service)


async def upcoming_lesson(ctx: TurnContext, service: Service, ref: LessonRef) -> Lesson | None:
    """The lesson ``ref`` as the CRM has it now, when ``upcoming_lessons`` would list it;
    only its day is read. Raises ``CrmError`` when the CRM cannot be asked."""
    horizon = ctx.deps.kb.policies.booking_horizon_days
    if not ctx.today <= ref.date <= ctx.today + timedelta(days=horizon):
        return None
    lessons = await ctx.deps.crm.get_schedule(date_from=ref.date, date_to=ref.date)
    return find(_upcoming(ctx, lessons, service), ref)


def _upcoming(ctx: TurnContext, lessons: Sequence[Lesson], service: Service) -> list[Lesson]:
    now, kb = ctx.now, ctx.deps.kb
    return [
        lesson
        for lesson in lessons
        if belongs_to(lesson, service) and lesson.start > now and kb.holiday_on(lesson.date) is None
    ]


def matching(lessons: Sequence[Lesson], when: When) -> list[Lesson]:
    """The lessons that fit what the client said about the day and the time.

    "в 9:30" is read as 21:30 by the parser (studio hours); when no lesson starts then but
    one starts at 09:30, that is the one meant.
    """
    exact = _matching(lessons, when, when.at)
    if exact or when.at is None or when.at.hour < 13:
        return exact
    return _matching(lessons, when, when.at.replace(hour=when.at.hour - 12))


def _matching(lessons: Sequence[Lesson], when: When, at: time | None) -> list[Lesson]:
    days = set(when.all_days)
    result = []
    for lesson in lessons:
        start = lesson.start.timetz().replace(tzinfo=None)
        if days and lesson.date not in days:
            continue
        if at is not None and start != at:
            continue
        if when.not_before is not None and start < when.not_before:
            continue
        if when.not_after is not None and start > when.not_after:
            continue
        result.append(lesson)
    return result


def with_places(lessons: Sequence[Lesson]) -> list[Lesson]:
    return [lesson for lesson in lessons if not lesson.is_full]


def offered(lesson: Lesson, label: str) -> OfferedLesson:
    return OfferedLesson(
        schedule_id=lesson.schedule_id, date=lesson.date, start=lesson.start, label=label
    )


def find(lessons: Sequence[Lesson], ref: LessonRef) -> Lesson | None:
    return next(
        (x for x in lessons if x.schedule_id == ref.schedule_id and x.date == ref.date), None
    )


def parse_lesson_payload(payload: str) -> LessonRef | None:
    """``lesson:100:2026-03-04`` → LessonRef, else None."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != "lesson":
        return None
    try:
        return LessonRef(schedule_id=int(parts[1]), date=date.fromisoformat(parts[2]))
    except ValueError:
        return None
