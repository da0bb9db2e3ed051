"""Properties of the dialogue manager (issue 9), checked on whole conversations through the
production pipeline (embedded Redis, SQLite, the Impulse emulator over HTTP, virtual clock):

- in any state, a valid phone in the message ends up in the slots;
- after "нет" + another day at the summary, no reservation exists for the old lesson;
- a cancel request naming one of the client's bookings never cancels another.

Hypothesis composes the client's messages from everyday fragments and phone formats; each
example is a fresh bot. The example counts are bounded for ``make test``
(``PROPERTY_EXAMPLES`` raises them).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dancebot.domain.fsm import State
from dancebot.evaluation.harness import BotFiles, Workspace
from dancebot.evaluation.model import Scenario

ROOT = Path(__file__).resolve().parents[3]
FILES = BotFiles(ROOT / "knowledge" / "studio_tatyana.yaml", ROOT / "seeds" / "studio_tatyana.yaml")
NOW = "2026-03-02T10:00:00+10:00"  # a Monday morning
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "12"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

# the Contemporary lessons of the sample seed in the first week (one a day)
CONTEMPORARY = {
    "понедельник": "2026-03-02T19:00:00+10:00",
    "вторник": "2026-03-03T19:00:00+10:00",
    "среду": "2026-03-04T19:00:00+10:00",
    "четверг": "2026-03-05T19:00:00+10:00",
    "пятницу": "2026-03-06T20:00:00+10:00",
}


def _phone_formats(digits: str) -> list[str]:
    """One Russian mobile number (10 digits after the country code) as people type it."""
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return [
        f"8{digits}",
        f"+7{digits}",
        f"+7 ({a}) {b}-{c}-{d}",
        f"8 {a} {b} {c} {d}",
        f"8-{a}-{b}-{c}{d}",
        f"7{digits}",
    ]


phones = st.builds(lambda n: f"9{n:09d}", st.integers(min_value=140000000, max_value=169999999))
fillers = st.sampled_from(
    ["", "мой номер", "телефон:", "вот", "записывайте на", "запишите на номер", "это", "ок,"]
)
names = st.sampled_from(["", "Аня", "меня зовут Ника", "Ольга Петровна", "я Вика,"])
prefixes: dict[str, list[str]] = {
    State.IDLE.value: [],
    State.COLLECTING_GROUP.value: ["хочу записаться"],
    State.COLLECTING_DATETIME.value: ["хочу на контемп"],
    State.COLLECTING_CONTACT.value: ["хочу на контемп в среду в 19"],
    State.CONFIRM_BOOKING.value: ["хочу на контемп в среду в 19", "Лена 89140000001"],
    State.BROWSING_SCHEDULE.value: ["расписание хип-хопа"],
    State.SERIAL_BOOKING.value: ["запишите на контемп по средам весь март"],
    State.CANCEL_FLOW.value: ["отмените мою запись"],
}


def _scenario(
    sid: str, steps: list[dict[str, Any]], final: dict[str, Any] | None = None
) -> Scenario:
    document: dict[str, Any] = {
        "id": sid,
        "now": NOW,
        "channel": "telegram",
        "user": {"chat_id": "7001", "first_name": None},
        "steps": steps,
    }
    if final:
        document["final"] = final
    return Scenario.model_validate(document)


async def _slots_after(texts: list[str]) -> tuple[str, str | None]:
    """Send ``texts`` in one conversation; the state and the slot phone after the last."""
    scenario = _scenario("phone-kept", [{"user": t} for t in texts])
    async with Workspace.open(FILES) as workspace, workspace.bot(scenario) as bot:
        for text in texts:
            await bot.services.pipeline.handle(bot.chat.text(text))
        session = await bot.services.deps.sessions.load(bot.chat.channel, bot.chat.chat_id)
        assert session is not None
        return session.state.value, session.slots.client_phone


@PROPERTY
@given(
    state=st.sampled_from(sorted(prefixes)),
    digits=phones,
    style=st.integers(min_value=0, max_value=5),
    before=fillers,
    name=names,
)
def test_a_valid_phone_in_any_state_ends_up_in_the_slots(
    state: str, digits: str, style: int, before: str, name: str
) -> None:
    typed = _phone_formats(digits)[style]
    message = " ".join(part for part in (before, name, typed) if part)
    reached, phone = asyncio.run(_slots_after([*prefixes[state], message]))
    assert phone == f"+7{digits}", (state, message, reached)


corrections = st.sampled_from(
    ["нет, давайте лучше в {d}", "нет, в {d}", "ой нет, лучше в {d}", "не, давайте в {d}",
     "нет нет, можно в {d}?", "хотя нет, в {d} удобнее", "нет, {d} лучше"]
)  # fmt: skip


@PROPERTY
@given(
    old=st.sampled_from(sorted(CONTEMPORARY)),
    new=st.sampled_from(sorted(CONTEMPORARY)),
    correction=corrections,
)
def test_a_correction_at_the_summary_never_books_the_old_lesson(
    old: str, new: str, correction: str
) -> None:
    if old == new:
        return
    day = {"понедельник": "понедельник", "вторник": "вторник"}.get(new, new)
    steps = [
        {"user": f"хочу на контемп в {old}, Маша 89145557700"},
        {"user": correction.format(d=day)},
        {"user": "да"},
        {"user": "да"},
    ]
    final = {
        "crm": {
            "reservations": [
                {"client_phone": "+79145557700", "start": CONTEMPORARY[old], "count": 0},
            ],
        }
    }
    result = asyncio.run(_run(_scenario("no-old-lesson", steps, final)))
    assert result.passed, (old, new, correction, result.failures)


# two bookings of the client, each named by its style or its day
BOOKINGS = {
    "contemporary": ("контемп", "среду", "2026-03-04T19:00:00+10:00"),
    "stretching": ("растяжку", "пятницу", "2026-03-06T18:30:00+10:00"),
}
cancel_phrases = st.sampled_from(
    ["отмените {w}", "не смогу на {w}, отмените", "отмените запись на {w}",
     "хочу отменить {w}", "отмените пожалуйста мою запись на {w}"]
)  # fmt: skip


@PROPERTY
@given(
    target=st.sampled_from(sorted(BOOKINGS)),
    by_day=st.booleans(),
    phrase=cancel_phrases,
)
def test_a_cancel_naming_one_booking_never_cancels_the_other(
    target: str, by_day: bool, phrase: str
) -> None:
    other = next(k for k in BOOKINGS if k != target)
    style, day, start = BOOKINGS[target]
    named = f"в {day}" if by_day else style
    steps = [
        {"user": "хочу на контемп в среду в 19, Дина 89145557711"},
        {"user": "да"},
        {"user": "на растяжку в пятницу в 18:30"},
        {"user": "да"},
        {"user": phrase.format(w=named)},
        {"user": "да"},
    ]
    final = {
        "crm": {
            "reservations": [
                {"client_phone": "+79145557711", "start": BOOKINGS[other][2], "status": "active",
                 "count": 1},
                {"client_phone": "+79145557711", "start": start, "status": "active", "count": 0},
            ],
        }
    }  # fmt: skip
    result = asyncio.run(_run(_scenario("cancel-named", steps, final)))
    assert result.passed, (phrase.format(w=named), result.failures)


async def _run(scenario: Scenario) -> Any:
    from dancebot.evaluation.runner import run_scenario

    async with Workspace.open(FILES) as workspace:
        return await run_scenario(scenario, workspace)
