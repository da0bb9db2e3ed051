"""Booking conversations for the sample studio (knowledge/studio_tatyana.yaml with
seeds/studio_tatyana.yaml): three messages each — a request with a date, a name and phone,
"да" — spread over the booking horizon so no lesson fills up. The benchmark and the chaos run
use them; each conversation has its own phone, so each must end with exactly one reservation.

At most ``PER_LESSON`` conversations go to one lesson (each has 10–15 places, a few taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from dancebot.kb.loader import load_kb
from dancebot.kb.schema import KnowledgeBase

KB_PATH = Path(__file__).resolve().parents[1] / "knowledge/studio_tatyana.yaml"

STUDIO_TZ = ZoneInfo("Asia/Vladivostok")
PER_LESSON = 5
RECEIPT = "вы записаны"
_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


# the sample studio's weekly lessons by what clients call them (0 = Monday)
LESSON_DAYS: dict[str, frozenset[int]] = {
    "контемп": frozenset({0, 1, 2, 3, 4, 6}),
    "хип-хоп": frozenset({0, 2, 5}),
    "стретчинг": frozenset({0, 4, 6}),
    "джаз-фанк": frozenset({1, 4}),
}


@dataclass(frozen=True)
class Conversation:
    number: int
    service: str
    day: date
    phone_digits: str  # as the emulator stores it: 7XXXXXXXXXX

    @property
    def messages(self) -> tuple[str, str, str]:
        when = f"{self.day.day} {_MONTHS[self.day.month - 1]}"
        phone = f"+7 {self.phone_digits[1:4]} {self.phone_digits[4:7]}-{self.phone_digits[7:]}"
        return (f"Хочу на {self.service} {when}", f"Мария {phone}", "да")


@cache
def _kb() -> KnowledgeBase:
    return load_kb(KB_PATH)


def lessons(today: date) -> list[tuple[str, date]]:
    """(service, day) of every lesson from the day after tomorrow to the end of the booking
    horizon, the studio's holidays left out."""
    kb = _kb()
    last = kb.policies.booking_horizon_days - 1
    days = [today + timedelta(days=offset) for offset in range(2, last)]
    open_days = [d for d in days if kb.holiday_on(d) is None]
    return [
        (s, d) for d in open_days for s, weekdays in LESSON_DAYS.items() if d.weekday() in weekdays
    ]


def conversations(count: int, *, run: int = 0, now: datetime | None = None) -> list[Conversation]:
    """``count`` conversations (``ValueError`` when the horizon cannot hold them); ``run``
    keeps phones of different runs apart."""
    today = (now or datetime.now(STUDIO_TZ)).astimezone(STUDIO_TZ).date()
    slots = lessons(today)
    if count > len(slots) * PER_LESSON:
        raise ValueError(f"at most {len(slots) * PER_LESSON} conversations fit in the horizon")
    return [
        Conversation(
            number=n,
            service=slots[n % len(slots)][0],
            day=slots[n % len(slots)][1],
            phone_digits=f"79{(run % 100):02d}{n:07d}",
        )
        for n in range(count)
    ]
