"""A chat's conversation state: the FSM state, the booking slots and a short history."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, Field

from dancebot.domain.commands import BookingRef, WhenSpec
from dancebot.domain.fsm import State, check_transition
from dancebot.domain.messages import Channel

HISTORY_LIMIT = 20


class OfferedLesson(BaseModel):
    """A lesson the bot offered as a choice, with the label shown on its button."""

    schedule_id: int
    date: date
    start: datetime
    label: str


class OfferedBooking(BaseModel):
    """One of the client's bookings, shown as a choice to cancel or move."""

    booking_id: int
    schedule_id: int
    date: date
    start: datetime
    service_id: str | None = None
    label: str


class SerialPlan(BaseModel):
    """S6: the same class on given weekdays over a period, booked as one request."""

    service_id: str
    weekdays: list[int]  # ISO: 1 = Monday
    date_from: date
    date_to: date | None = None  # None until the client names the period
    at: time | None = None
    lessons: list[OfferedLesson] = Field(default_factory=list)  # what will be booked
    dropped: int = 0  # lessons beyond serial_booking_max, not booked
    full: list[date] = Field(default_factory=list)  # dates of the series with no places left


class PendingBooking(BaseModel):
    """A further booking asked for in the same message ("и на хип-хоп в четверг"), started
    once the current one is done."""

    service_id: str | None = None
    when: WhenSpec | None = None


class Slots(BaseModel):
    """What the booking needs (contract §7: group, datetime, client_name, client_phone)."""

    service_id: str | None = None  # KB service (style) the client asked for
    lesson: OfferedLesson | None = None  # the chosen lesson (group + date + time)
    offered: list[OfferedLesson] = Field(default_factory=list)
    client_name: str | None = None
    client_phone: str | None = None  # E.164
    attendee_name: str | None = None  # third-party booking: who will attend
    phone_from_channel: bool = False  # WhatsApp filled it in; confirm it in the summary
    # cancel / reschedule (S5)
    bookings: list[OfferedBooking] = Field(default_factory=list)
    target_booking: OfferedBooking | None = None  # the booking to cancel or move
    reschedule: bool = False  # the flow moves the target booking instead of cancelling it
    awaiting: str | None = None  # what the open question was: "phone" | "pick" | "confirm"
    serial: SerialPlan | None = None
    wanted: WhenSpec | None = None  # a day/time said before the service was known
    cancel_ref: BookingRef | None = None  # which booking the client named, before the list
    move_to: WhenSpec | None = None  # where a move goes, said with the request
    pending: list[PendingBooking] = Field(default_factory=list)


class Turn(BaseModel):
    role: str  # "user" | "bot" | "admin"
    text: str
    at: datetime


class Session(BaseModel):
    """Conversation state of one chat. Stored in Redis (TTL 24 h), never in process memory."""

    channel: Channel
    chat_id: str
    state: State = State.IDLE
    slots: Slots = Field(default_factory=Slots)
    created_at: datetime
    updated_at: datetime
    state_since: datetime
    history: list[Turn] = Field(default_factory=list)
    misunderstood: int = 0  # consecutive messages the bot could not understand
    nudged: bool = False  # the state's reminder ("Ещё актуально?") was sent already

    @classmethod
    def start(cls, channel: Channel, chat_id: str, *, now: datetime) -> Session:
        return cls(
            channel=channel, chat_id=chat_id, created_at=now, updated_at=now, state_since=now
        )

    def move_to(self, target: State, *, now: datetime) -> None:
        """Change state through the transition table (raises ``IllegalTransition``)."""
        if check_transition(self.state, target) != self.state:
            self.state = target
            self.state_since = now
            self.nudged = False

    def remember(self, role: str, text: str, *, now: datetime) -> None:
        self.history.append(Turn(role=role, text=text, at=now))
        del self.history[:-HISTORY_LIMIT]
        self.updated_at = now

    def reset(self, *, now: datetime) -> None:
        self.move_to(State.IDLE, now=now)
        self.slots = Slots()
        self.misunderstood = 0
