"""The KPI arithmetic on hand-made audit rows: every figure of RFC §22.1 and the chart series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dancebot.dialogue.replies import not_understood
from dancebot.reporting.kpi import (
    Attempt,
    AuditRows,
    Message,
    Period,
    compute,
    conversations_of,
    histogram,
    percentile,
    reply_seconds,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 10:00 in Vladivostok
TZ = ZoneInfo("Asia/Vladivostok")
PERIOD = Period(since=datetime(2026, 3, 1, tzinfo=UTC), until=datetime(2026, 3, 8, tzinfo=UTC))


def msg(chat: str, trace: str, direction: str, at: datetime, *, text: str = "x",
        state: str | None = "idle", kind: str = "text") -> Message:  # fmt: skip
    return Message(trace, "telegram", chat, direction, kind, text, state, at)


def turn(chat: str, n: int, at: datetime, *, reply: str = "ok", state: str = "idle",
         delay: float = 1.0) -> list[Message]:  # fmt: skip
    trace = f"{chat}-{n}"
    return [
        msg(chat, trace, "in", at, state=state),
        msg(chat, trace, "out", at + timedelta(seconds=delay), text=reply, state=state),
    ]


def attempt(chat: str, trace: str, fingerprint: str, outcome: str, at: datetime) -> Attempt:
    return Attempt(trace, "telegram", chat, fingerprint, outcome, at)


def rows(
    messages: list[Message],
    attempts: list[Attempt] | None = None,
    *,
    llm_cost_usd: Decimal = Decimal("0"),
    llm_calls: int = 0,
    budget_guard_triggers: int = 0,
    dead_letters_open: int = 0,
) -> AuditRows:
    return AuditRows(
        messages=messages,
        attempts=attempts or [],
        llm_cost_usd=llm_cost_usd,
        llm_calls=llm_calls,
        budget_guard_triggers=budget_guard_triggers,
        dead_letters_open=dead_letters_open,
    )


def test_a_pause_longer_than_a_day_starts_a_new_conversation() -> None:
    messages = [*turn("a", 1, T0), *turn("a", 2, T0 + timedelta(hours=23)),
                *turn("a", 3, T0 + timedelta(hours=48)), *turn("b", 1, T0)]  # fmt: skip
    conversations = conversations_of(messages)
    assert [(c.chat_id, c.client_messages) for c in conversations] == [
        ("a", 2), ("b", 1), ("a", 1)
    ]  # fmt: skip


def test_bot_messages_alone_are_no_conversation() -> None:
    assert conversations_of([msg("a", "t", "out", T0)]) == []


def test_every_kpi_from_a_small_week() -> None:
    # a: books on its 3rd message (1 s replies); b: handed to the admin; c: not understood,
    # then leaves in the middle of a booking (7 s reply); d: CRM down → queued, booked later
    messages = [
        *turn("a", 1, T0), *turn("a", 2, T0 + timedelta(minutes=1)),
        *turn("a", 3, T0 + timedelta(minutes=2), state="booking_done"),
        *turn("b", 1, T0, state="handoff_to_admin"),
        *turn("c", 1, T0 + timedelta(days=1), reply=not_understood().text),
        *turn("c", 2, T0 + timedelta(days=1, minutes=1), state="collecting_contact", delay=7),
        *turn("d", 1, T0 + timedelta(days=2), state="idle"),
    ]  # fmt: skip
    attempts = [
        attempt("a", "a-3", "fa", "created", T0 + timedelta(minutes=2)),
        attempt("d", "d-1", "fd", "queued", T0 + timedelta(days=2)),
        attempt("d", "d-1", "fd", "created", T0 + timedelta(days=2, minutes=5)),
        attempt("a", "a-3", "fx", "full", T0 + timedelta(minutes=2)),
    ]
    report = compute(
        rows(messages, attempts, llm_cost_usd=Decimal("0.04"), llm_calls=3,
             budget_guard_triggers=2, dead_letters_open=11),
        PERIOD, tz=TZ,
    )  # fmt: skip
    value = {k.key: k.value for k in report.kpis}
    assert report.conversations == 4 and report.booking_requests == 3 and report.bookings == 2
    assert value["booking_success"] == pytest.approx(2 / 3)  # fa, fd booked; fx full
    assert value["handoff_share"] == pytest.approx(1 / 4)
    assert value["messages_to_booking"] == pytest.approx((3 + 1) / 2)
    assert value["not_understood_share"] == pytest.approx(1 / 7)
    assert value["conversion"] == pytest.approx(2 / 4)
    assert value["llm_cost_per_booking"] == pytest.approx(0.02)
    assert value["reply_p95"] == pytest.approx(7.0)
    assert value["crm_fallback_rate"] == pytest.approx(1 / 3)
    assert value["budget_guard_per_week"] == pytest.approx(2.0)
    assert value["dlq_size"] == 11
    met = {k.key: k.met for k in report.kpis}
    assert met["booking_success"] is False and met["handoff_share"] is False
    assert met["messages_to_booking"] is True and met["dlq_size"] is False
    assert met["budget_guard_per_week"] is False and met["llm_cost_per_booking"] is True
    assert dict(report.endings) == {
        "запись": 2, "администратор": 1, "брошена запись": 1, "отмена / перенос": 0,
        "консультация": 0,
    }  # fmt: skip
    assert dict(report.reply_histogram)["5–10 с"] == 1
    assert dict(report.reply_histogram)["1–2 с"] == 6


def test_days_are_counted_in_the_studio_time_zone() -> None:
    late = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 01:30 on 3 March in Vladivostok
    report = compute(
        rows(turn("a", 1, late), [attempt("a", "a-1", "f", "created", late)]), PERIOD, tz=TZ
    )
    per_day = dict(report.bookings_per_day)
    assert per_day[datetime(2026, 3, 3).date()] == 1
    assert sum(per_day.values()) == 1
    # 1 March 10:00 … 8 March 09:59 local: eight calendar days, each shown
    assert [d.day for d, _ in report.conversations_per_day] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_an_empty_period_has_no_data_rather_than_zeros() -> None:
    report = compute(rows([]), PERIOD, tz=TZ)
    value = {k.key: k.value for k in report.kpis}
    for key in ("booking_success", "handoff_share", "messages_to_booking", "reply_p95",
                "conversion", "llm_cost_per_booking"):  # fmt: skip
        assert value[key] is None, key
    assert report.kpi("dlq_size").met is True


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 21)]  # 1..20
    assert percentile(values, 95) == 19.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 95) is None


def test_reply_time_counts_the_first_reply_of_each_message() -> None:
    messages = [
        msg("a", "t1", "in", T0),
        msg("a", "t1", "out", T0 + timedelta(seconds=4)),
        msg("a", "t1", "out", T0 + timedelta(seconds=2)),
        msg("a", "t2", "in", T0),  # never answered: not a reply time
    ]
    assert reply_seconds(messages) == [2.0]
    assert dict(histogram([0.5, 2.0, 31.0])) == {
        "< 1 с": 1, "1–2 с": 0, "2–3 с": 1, "3–5 с": 0, "5–10 с": 0, "10–30 с": 0, "≥ 30 с": 1
    }  # fmt: skip
