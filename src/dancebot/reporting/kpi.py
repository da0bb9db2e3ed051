"""The product KPIs of RFC §22.1, computed from the audit rows of a period (pure functions).

What each figure counts (decision D42):

- a **conversation** is one chat's messages with no pause longer than ``CONVERSATION_GAP``
  (the session's lifetime: after it the bot has forgotten the chat), holding at least one
  client message;
- a **booking request** is one fingerprint (client phone + lesson) among the booking attempts;
  it **succeeded** when an attempt ended ``created`` / ``already_booked`` / ``duplicate`` (the
  lesson is booked), and **met a CRM failure** when one ended ``queued`` (the fallback
  queue; booked later, it also succeeds) or ``crm_down`` (a lesson of a series);
- **reply time** is from a client message being taken up to the bot's first reply to it
  being written down (same trace id): the engine's time, not the channel's;
- **"не понял"** is a bot reply whose text is the not-understood template, per client text
  message;
- **budget-guard triggers** are rows of ``errors`` with component ``budget_guard``, scaled
  to a week; the **DLQ size** is the open dead letters at the end of the period.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from dancebot.dialogue.replies import not_understood
from dancebot.domain.fsm import State

CONVERSATION_GAP = timedelta(hours=24)
BUDGET_GUARD_COMPONENT = "budget_guard"
BOOKED_OUTCOMES = frozenset({"created", "already_booked", "duplicate"})
CRM_DOWN_OUTCOMES = frozenset({"queued", "crm_down"})  # to the fallback queue / the admin
HANDOFF_STATES = frozenset({State.HANDOFF_TO_ADMIN.value, State.ADMIN_RESPONDING.value})
BOOKING_STATES = frozenset(
    {
        State.COLLECTING_GROUP.value,
        State.COLLECTING_DATETIME.value,
        State.COLLECTING_CONTACT.value,
        State.CONFIRM_BOOKING.value,
        State.BOOKING_IN_PROGRESS.value,
        State.SERIAL_BOOKING.value,
    }
)
REPLY_BUCKETS: tuple[tuple[float, str], ...] = (
    (1, "< 1 с"),
    (2, "1–2 с"),
    (3, "2–3 с"),
    (5, "3–5 с"),
    (10, "5–10 с"),
    (30, "10–30 с"),
    (math.inf, "≥ 30 с"),
)
# where a conversation ends, in the order the chart shows them
ENDINGS = ("запись", "администратор", "брошена запись", "отмена / перенос", "консультация")


@dataclass(frozen=True)
class Message:
    trace_id: str
    channel: str
    chat_id: str
    direction: str  # "in" | "out"
    message_type: str
    text: str
    state: str | None
    at: datetime


@dataclass(frozen=True)
class Attempt:
    trace_id: str
    channel: str
    chat_id: str
    fingerprint: str
    outcome: str
    at: datetime


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @property
    def days(self) -> float:
        return (self.until - self.since) / timedelta(days=1)


@dataclass(frozen=True)
class AuditRows:
    """What the report needs from the database for one period."""

    messages: Sequence[Message]
    attempts: Sequence[Attempt]
    llm_cost_usd: Decimal
    llm_calls: int
    budget_guard_triggers: int
    dead_letters_open: int


@dataclass(frozen=True)
class Kpi:
    key: str
    title: str
    value: float | None  # None: nothing to measure in the period
    target: float
    better: str  # "above" | "below" — the side of the target that is good
    unit: str  # "%" (value is a share 0..1), "$", "s", "" (a count)
    inclusive: bool = False  # the target itself is good ("≥ 95%", "≤ 0 per week")

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.better == "above":
            return self.value >= self.target if self.inclusive else self.value > self.target
        return self.value <= self.target if self.inclusive else self.value < self.target


@dataclass
class Conversation:
    channel: str
    chat_id: str
    messages: list[Message] = field(default_factory=list)

    @property
    def started(self) -> datetime:
        return self.messages[0].at

    @property
    def client_messages(self) -> int:
        return sum(m.direction == "in" for m in self.messages)


@dataclass(frozen=True)
class KpiReport:
    period: Period
    kpis: list[Kpi]
    conversations: int
    booking_requests: int
    bookings: int
    client_messages: int
    bookings_per_day: list[tuple[date, int]]
    conversations_per_day: list[tuple[date, int]]
    reply_histogram: list[tuple[str, int]]
    endings: list[tuple[str, int]]
    llm_calls: int
    tz: tzinfo  # the studio's: days and the period are shown in it

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def conversations_of(messages: Iterable[Message]) -> list[Conversation]:
    """Split each chat's messages (any order) into conversations, oldest first."""
    by_chat: dict[tuple[str, str], list[Message]] = {}
    for message in messages:
        by_chat.setdefault((message.channel, message.chat_id), []).append(message)
    result: list[Conversation] = []
    for (channel, chat_id), rows in by_chat.items():
        current: Conversation | None = None
        for message in sorted(rows, key=lambda m: m.at):
            if current is None or message.at - current.messages[-1].at > CONVERSATION_GAP:
                current = Conversation(channel, chat_id)
                result.append(current)
            current.messages.append(message)
    return sorted((c for c in result if c.client_messages), key=lambda c: (c.started, c.chat_id))


def compute(rows: AuditRows, period: Period, *, tz: tzinfo) -> KpiReport:
    """Every KPI of RFC §22.1 and the chart series for ``period`` (days in ``tz``)."""
    conversations = conversations_of(rows.messages)
    booking_traces = _first_booking_traces(rows.attempts)
    booked_at = [_booked_after(c, booking_traces) for c in conversations]
    with_booking = [n for n in booked_at if n is not None]
    requests = _requests(rows.attempts)
    succeeded = sum(any(o in BOOKED_OUTCOMES for o in outcomes) for outcomes in requests.values())
    queued = sum(bool(outcomes & CRM_DOWN_OUTCOMES) for outcomes in requests.values())
    handoffs = sum(_handed_off(c) for c in conversations)
    client_texts = [m for m in rows.messages if m.direction == "in" and m.message_type == "text"]
    misunderstood_text = not_understood().text
    misunderstood = sum(
        m.direction == "out" and m.text == misunderstood_text for m in rows.messages
    )
    replies = reply_seconds(rows.messages)
    bookings = sum(a.outcome == "created" for a in rows.attempts)
    kpis = [
        Kpi("booking_success", "Успешные записи (E2E)", _share(succeeded, len(requests)),
            0.95, "above", "%", inclusive=True),
        Kpi("handoff_share", "Передано администратору", _share(handoffs, len(conversations)),
            0.15, "below", "%"),
        Kpi("messages_to_booking", "Сообщений до записи (в среднем)",
            sum(with_booking) / len(with_booking) if with_booking else None, 8, "below", ""),
        Kpi("not_understood_share", "«Не понял»", _share(misunderstood, len(client_texts)),
            0.10, "below", "%"),
        Kpi("conversion", "Конверсия: диалог → запись",
            _share(len(with_booking), len(conversations)), 0.20, "above", "%"),
        Kpi("llm_cost_per_booking", "Стоимость LLM на запись",
            float(rows.llm_cost_usd) / succeeded if succeeded else None, 0.05, "below", "$"),
        Kpi("reply_p95", "Время ответа, p95", percentile(replies, 95), 5.0, "below", "s"),
        Kpi("crm_fallback_rate", "Записи в fallback-очередь (CRM)",
            _share(queued, len(requests)), 0.05, "below", "%"),
        Kpi("budget_guard_per_week", "Срабатывания бюджет-гарда в неделю",
            rows.budget_guard_triggers * 7 / period.days if period.days > 0 else None,
            0, "below", "", inclusive=True),
        Kpi("dlq_size", "Недоставленные (DLQ)", float(rows.dead_letters_open), 10, "below", ""),
    ]  # fmt: skip
    return KpiReport(
        period=period,
        kpis=kpis,
        conversations=len(conversations),
        booking_requests=len(requests),
        bookings=bookings,
        client_messages=sum(m.direction == "in" for m in rows.messages),
        bookings_per_day=_per_day(
            (a.at for a in rows.attempts if a.outcome == "created"), period, tz
        ),
        conversations_per_day=_per_day((c.started for c in conversations), period, tz),
        reply_histogram=histogram(replies),
        endings=_endings(conversations, booking_traces),
        llm_calls=rows.llm_calls,
        tz=tz,
    )


def reply_seconds(messages: Iterable[Message]) -> list[float]:
    """For each client message, seconds to the bot's first reply with the same trace id."""
    taken: dict[str, datetime] = {}
    answered: dict[str, datetime] = {}
    for m in messages:
        if m.direction == "in":
            taken.setdefault(m.trace_id, m.at)
        elif m.trace_id not in answered or m.at < answered[m.trace_id]:
            answered[m.trace_id] = m.at
    return [
        max((answered[trace] - at).total_seconds(), 0.0)
        for trace, at in taken.items()
        if trace in answered
    ]


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (the smallest value with at least p% at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def histogram(seconds: Iterable[float]) -> list[tuple[str, int]]:
    counts = Counter(next(label for upper, label in REPLY_BUCKETS if s < upper) for s in seconds)
    return [(label, counts[label]) for _, label in REPLY_BUCKETS]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _requests(attempts: Iterable[Attempt]) -> dict[str, set[str]]:
    requests: dict[str, set[str]] = {}
    for attempt in attempts:
        requests.setdefault(attempt.fingerprint, set()).add(attempt.outcome)
    return requests


def _first_booking_traces(attempts: Iterable[Attempt]) -> set[str]:
    return {a.trace_id for a in attempts if a.outcome == "created"}


def _booked_after(conversation: Conversation, booking_traces: set[str]) -> int | None:
    """Client messages up to the one whose handling created the first booking, or None."""
    count = 0
    for message in conversation.messages:
        if message.direction != "in":
            continue
        count += 1
        if message.trace_id in booking_traces:
            return count
    return None


def _handed_off(conversation: Conversation) -> bool:
    return any(m.state in HANDOFF_STATES for m in conversation.messages)


def _endings(
    conversations: Sequence[Conversation], booking_traces: set[str]
) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for conversation in conversations:
        last = conversation.messages[-1].state
        if _booked_after(conversation, booking_traces) is not None:
            counts["запись"] += 1
        elif _handed_off(conversation):
            counts["администратор"] += 1
        elif last in BOOKING_STATES:
            counts["брошена запись"] += 1
        elif last == State.CANCEL_FLOW.value:
            counts["отмена / перенос"] += 1
        else:
            counts["консультация"] += 1
    return [(name, counts[name]) for name in ENDINGS]


def _per_day(moments: Iterable[datetime], period: Period, tz: tzinfo) -> list[tuple[date, int]]:
    counts = Counter(m.astimezone(tz).date() for m in moments)
    first = period.since.astimezone(tz).date()
    last = (period.until - timedelta(microseconds=1)).astimezone(tz).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [(day, counts[day]) for day in days]
