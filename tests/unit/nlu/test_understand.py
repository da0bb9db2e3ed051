"""``understand``: one parse per message into commands, read in the conversation's context.

The cases are the failure classes of issue 9 (corrections, references to bookings, slots out
of order, several requests in one message, phrasings off any keyword list, names as written).
The labelled corpus (``tests/nlu/corpus``, ``dancebot nlu-eval``) measures the same at scale.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from dancebot.domain.commands import (
    AskInfo,
    AskPrice,
    AskSchedule,
    BookSeries,
    CancelBooking,
    ChooseOption,
    Correct,
    InfoTopic,
    Reschedule,
    SetSlots,
    StartBooking,
    Understanding,
)
from dancebot.domain.fsm import State
from dancebot.domain.messages import Channel
from dancebot.domain.session import OfferedLesson, Session
from dancebot.kb.loader import load_kb
from dancebot.nlu.understand import understand

ROOT = Path(__file__).resolve().parents[3]
KB = load_kb(ROOT / "knowledge" / "studio_tatyana.yaml")
TODAY = date(2026, 3, 2)  # a Monday
MON, TUE, WED, THU, SAT = (date(2026, 3, d) for d in (2, 3, 4, 5, 7))


def _session(
    state: State = State.IDLE, *, offered: int = 0, awaiting: str | None = None
) -> Session:
    session = Session.start(Channel.TELEGRAM, "1", now=datetime(2026, 3, 2, tzinfo=UTC))
    session.state = state
    session.slots.awaiting = awaiting
    session.slots.offered = [
        OfferedLesson(
            schedule_id=i, date=TODAY, start=datetime(2026, 3, 2, 9, tzinfo=UTC), label=f"L{i}"
        )
        for i in range(offered)
    ]
    return session


def read(text: str, state: State = State.IDLE, **kw: object) -> Understanding:
    return understand(text, _session(state, **kw), KB, TODAY)  # type: ignore[arg-type]


def test_correction_at_the_summary_changes_the_day_and_is_never_a_yes() -> None:
    u = read("нет, давайте лучше в понедельник", State.CONFIRM_BOOKING)
    assert "confirm" not in u.kinds
    correct = u.first(Correct)
    assert isinstance(correct, Correct) and correct.when is not None
    assert correct.when.day == MON


def test_changing_mind_with_a_new_request_keeps_the_request() -> None:
    u = read("хотя нет, передумал, давайте хип-хоп в четверг", State.CONFIRM_BOOKING)
    assert "decline" not in u.kinds or any(
        isinstance(c, Correct | StartBooking) and c.service_id == "hiphop" for c in u.commands
    )
    change = next(c for c in u.commands if isinstance(c, Correct | StartBooking))
    assert change.service_id == "hiphop" and change.when is not None and change.when.day == THU


@pytest.mark.parametrize(
    ("text", "service", "day", "latest"),
    [
        ("отмените ту что в субботу", None, SAT, False),
        ("не смогу на джаз-фанк сегодня, отмените", "jazzfunk", MON, False),
        ("отмените мою последнюю запись", None, None, True),
    ],
)
def test_cancel_names_the_booking(
    text: str, service: str | None, day: date | None, latest: bool
) -> None:
    u = read(text)
    cancels = u.of_type(CancelBooking)
    assert len(cancels) == 1 and "confirm" not in u.kinds
    ref = cancels[0].ref  # type: ignore[union-attr]
    assert ref.service_id == service and ref.latest_made == latest
    assert (ref.when.day if ref.when else None) == day


def test_reschedule_from_one_day_to_another() -> None:
    u = read("перенесите растяжку с субботы на вторник")
    move = u.first(Reschedule)
    assert isinstance(move, Reschedule)
    assert move.ref.service_id == "stretching"
    assert move.ref.when is not None and move.ref.when.day == SAT
    assert move.to is not None and move.to.day == TUE


def test_contact_given_while_lessons_are_shown_is_kept() -> None:
    u = read("Аня 89161234567", State.COLLECTING_DATETIME, offered=3)
    slots = u.first(SetSlots)
    assert isinstance(slots, SetSlots)
    assert (slots.name, slots.phone) == ("Аня", "+79161234567")


@pytest.mark.parametrize(
    ("text", "kind", "service", "day"),
    [
        ("можно к вам на растяжку в сб утром?", StartBooking, "stretching", SAT),
        ("растяжка вечером во вторник есть?", AskSchedule, "stretching", TUE),
        ("хипхоп в сб", StartBooking, "hiphop", SAT),
        ("kontemp в пятницу", StartBooking, "contemporary", date(2026, 3, 6)),
        ("латина 05.03 можно записаться?", StartBooking, "latina", THU),
    ],
)
def test_off_list_phrasings(text: str, kind: type, service: str, day: date) -> None:
    u = read(text)
    found = u.first(kind)
    assert found is not None, u.kinds
    assert found.service_id == service  # type: ignore[attr-defined]
    assert found.when is not None and found.when.day == day  # type: ignore[attr-defined]


def test_two_questions_in_one_message_are_both_read() -> None:
    u = read("сколько стоит хай хилс и есть ли места в среду?")
    price, schedule = u.first(AskPrice), u.first(AskSchedule)
    assert isinstance(price, AskPrice) and price.service_id == "heels"
    assert isinstance(schedule, AskSchedule) and schedule.when is not None
    assert schedule.when.day == WED and schedule.service_id == "heels"


def test_two_bookings_in_one_message_are_both_read() -> None:
    u = read("запишите на сальсу в среду и на хип-хоп в четверг")
    starts = u.of_type(StartBooking)
    assert [(c.service_id, c.when.day) for c in starts] == [  # type: ignore[union-attr]
        ("latina", WED),
        ("hiphop", THU),
    ]


def test_thanks_and_a_question_answers_the_question() -> None:
    u = read("спасибо! а где парковаться?")
    assert [c.topic for c in u.commands if isinstance(c, AskInfo)] == [InfoTopic.PARKING]
    assert "thanks" in u.kinds


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("а где вы находитесь?", InfoTopic.ADDRESS),
        ("как до вас добраться?", InfoTopic.DIRECTIONS),
        ("что у вас есть для начинающих?", InfoTopic.BEGINNERS),
        ("хочу потанцевать", InfoTopic.SERVICES),
    ],
)
def test_questions_the_kb_answers(text: str, topic: InfoTopic) -> None:
    info = read(text).first(AskInfo)
    assert isinstance(info, AskInfo) and info.topic == topic


def test_names_are_kept_as_written() -> None:
    assert read("Ника", State.COLLECTING_CONTACT).entities.name == "Ника"
    fixed = read("ой, имя поправьте: Екатерина", State.CONFIRM_BOOKING).first(Correct)
    assert isinstance(fixed, Correct) and fixed.name == "Екатерина"


def test_a_style_word_or_a_slang_tariff_is_not_a_name() -> None:
    assert read("если заболею, абик можно заморозить?").entities.name is None
    assert read("хай хилс в среду", State.COLLECTING_CONTACT).entities.name is None


def test_a_number_picks_an_option_only_when_options_are_shown() -> None:
    assert read("2", State.COLLECTING_DATETIME, offered=3).first(ChooseOption) == ChooseOption(
        index=2
    )
    assert read("вторую", State.COLLECTING_DATETIME, offered=3).first(ChooseOption) == (
        ChooseOption(index=2)
    )
    assert read("7", State.COLLECTING_DATETIME, offered=3).first(ChooseOption) is None


def test_a_series_is_a_series() -> None:
    series = read("по вторникам и четвергам весь март на растяжку").first(BookSeries)
    assert isinstance(series, BookSeries) and series.when is not None
    assert series.when.weekdays == (2, 4) and series.when.period_end == date(2026, 3, 31)


def test_time_correction_keeps_no_old_yes() -> None:
    u = read("нет, на 19", State.CONFIRM_BOOKING)
    correct = u.first(Correct)
    assert isinstance(correct, Correct) and correct.when is not None
    assert correct.when.at == time(19, 0) and "confirm" not in u.kinds


def test_plain_yes_at_the_summary_confirms() -> None:
    assert read("да, всё верно", State.CONFIRM_BOOKING).kinds == ("confirm",)
    assert read("ок записывайте", State.CONFIRM_BOOKING).kinds[0] == "confirm"
