"""S3 reminders: when they are due and what they say (pure; the store is an adapter)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from dancebot.dialogue.formatting import hhmm
from dancebot.domain.messages import Channel, TemplateCall

REMINDER_LEADS = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}


class ReminderKind(StrEnum):
    DAY_BEFORE = "24h"
    TWO_HOURS = "2h"


def due_times(lesson_start: datetime, *, now: datetime) -> dict[ReminderKind, datetime]:
    """The reminders still ahead: a booking made 20 h before class gets only the 2 h one."""
    due = {kind: lesson_start - REMINDER_LEADS[kind.value] for kind in ReminderKind}
    return {kind: at for kind, at in due.items() if at > now}


def reminder_text(
    kind: ReminderKind, *, name: str, lesson_title: str, start: datetime, address: str
) -> str:
    if kind == ReminderKind.DAY_BEFORE:
        return (
            f"{name}, напоминаю: завтра в {hhmm(start)} у вас {lesson_title}. "
            f"Адрес: {address}. До встречи! 💃"
        )
    return f"{name}, через 2 часа — {lesson_title} в {hhmm(start)}. Ждём! Адрес: {address}"


def reminder_template(
    kind: ReminderKind, *, name: str, lesson_title: str, start: datetime
) -> TemplateCall:
    """RFC §19.2: WhatsApp reminders go as pre-approved templates (always outside the window)."""
    if kind == ReminderKind.DAY_BEFORE:
        return TemplateCall(name="lesson_reminder_24h", params=(name, hhmm(start), lesson_title))
    return TemplateCall(name="lesson_reminder_2h", params=(name, lesson_title))


def needs_template(channel: Channel) -> bool:
    return channel == Channel.WHATSAPP
