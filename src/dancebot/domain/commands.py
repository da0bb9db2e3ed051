"""What a client's message asks the bot to do: a closed set of commands (DESIGN §5).

A message is understood once, into an ``Understanding``: every entity it carries and the list
of commands it gives. The deterministic parser (``dancebot.nlu.understand``) and the LLM
command generator (``dancebot.ai``) both produce it; the dialogue manager applies it in any
state and validates every value against the knowledge base and the CRM. Nothing here decides
what the bot answers.

Dates are absolute (the studio's calendar) when a parser resolved them; the LLM may leave them
unresolved and give only ``WhenSpec.text`` (the words the client used), which the manager
resolves with the deterministic temporal parser: a model never computes a date.
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WhenSpec(_Model):
    """When the client means. Every field is optional; ``text`` is the phrase as written."""

    text: str | None = None
    day: date | None = None  # the day named (the earliest one when several are)
    days: tuple[date, ...] = ()  # every day allowed when more than one ("в среду или пятницу")
    at: time | None = None  # an exact start ("в 19")
    not_before: time | None = None  # "после 18", "вечером"
    not_after: time | None = None  # "до 12"
    weekdays: tuple[int, ...] = ()  # ISO weekdays said as a habit ("по вторникам")
    period_start: date | None = None
    period_end: date | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.day
            or self.days
            or self.at
            or self.not_before
            or self.not_after
            or self.weekdays
            or self.period_start
            or self.period_end
        )


class BookingRef(_Model):
    """Which of the client's own bookings a message points at ("ту что в субботу",
    "вторую", "последнюю", "на джаз-фанк сегодня"). Empty means "the client did not say"."""

    service_id: str | None = None
    when: WhenSpec | None = None
    ordinal: int | None = None  # 1-based position in the list shown; -1 = the last one
    latest_made: bool = False  # "мою последнюю запись": the one made most recently
    every: bool = False  # "отмените все мои записи"

    @property
    def is_empty(self) -> bool:
        return (
            self.service_id is None
            and (self.when is None or (self.when.is_empty and not self.when.text))
            and self.ordinal is None
            and not self.latest_made
            and not self.every
        )


class InfoTopic(StrEnum):
    """Questions the KB's studio and services sections answer without the FAQ."""

    ADDRESS = "address"  # "где вы находитесь", "адрес"
    DIRECTIONS = "directions"  # "как добраться", "как пройти"
    PARKING = "parking"
    CONTACTS = "contacts"  # the studio's phone
    HOURS = "hours"  # opening hours
    SERVICES = "services"  # "какие направления есть", "хочу потанцевать"
    BEGINNERS = "beginners"  # "что есть для начинающих"
    TEACHERS = "teachers"  # "кто ведёт", "кто преподаёт контемп"
    TRIAL = "trial"  # "есть ли пробное"


class HandoffReason(StrEnum):
    REQUEST = "request"  # the client asks for a person
    COMPLAINT = "complaint"
    TRIGGER = "trigger"  # one of the KB's escalation phrases


# --- the commands ---------------------------------------------------------------------------


class Greet(_Model):
    type: Literal["greet"] = "greet"


class Thanks(_Model):
    type: Literal["thanks"] = "thanks"


class Presence(_Model):
    """ "вы тут?", "алло" (CC-17)."""

    type: Literal["presence"] = "presence"


class Confirm(_Model):
    """Yes to what the bot asked ("да", "верно", "ок, записывайте")."""

    type: Literal["confirm"] = "confirm"


class Deny(_Model):
    """No to what the bot asked ("нет", "не то"). With a ``Correct`` it is a correction."""

    type: Literal["deny"] = "deny"


class Decline(_Model):
    """The client drops what is in progress ("передумала, не надо", "в другой раз")."""

    type: Literal["decline"] = "decline"


class StartBooking(_Model):
    """The client wants to book one lesson; any of the fields may be missing."""

    type: Literal["start_booking"] = "start_booking"
    service_id: str | None = None
    when: WhenSpec | None = None


class BookSeries(_Model):
    """S6: the same class on given weekdays over a period ("по вторникам весь март")."""

    type: Literal["book_series"] = "book_series"
    service_id: str | None = None
    when: WhenSpec | None = None
    lessons: int | None = None  # a count said instead of or besides a period


class SetSlots(_Model):
    """Details given for what is being collected, in any order and any state."""

    type: Literal["set_slots"] = "set_slots"
    service_id: str | None = None
    when: WhenSpec | None = None
    name: str | None = None  # as written: "Ника" stays "Ника"
    phone: str | None = None  # E.164
    attendee: str | None = None  # a third party who will attend ("дочка Маша")
    same_phone: bool | None = None  # "на тот же номер" (True) / "на другой" (False)


class Correct(_Model):
    """An explicit correction of something said before ("нет, лучше в понедельник",
    "ой, имя поправьте: Екатерина"): the values replace the old ones."""

    type: Literal["correct"] = "correct"
    service_id: str | None = None
    when: WhenSpec | None = None
    name: str | None = None
    phone: str | None = None


class ChooseOption(_Model):
    """One of the options the bot showed, by its number or ordinal ("2", "вторую")."""

    type: Literal["choose_option"] = "choose_option"
    index: int  # 1-based; -1 = the last one


class CancelBooking(_Model):
    type: Literal["cancel_booking"] = "cancel_booking"
    ref: BookingRef = Field(default_factory=BookingRef)


class Reschedule(_Model):
    type: Literal["reschedule"] = "reschedule"
    ref: BookingRef = Field(default_factory=BookingRef)
    to: WhenSpec | None = None


class AskPrice(_Model):
    type: Literal["ask_price"] = "ask_price"
    service_id: str | None = None
    trial: bool = False  # the price of a trial lesson


class AskSchedule(_Model):
    """ "расписание хип-хопа", "растяжка вечером во вторник есть?", "есть места в среду?"."""

    type: Literal["ask_schedule"] = "ask_schedule"
    service_id: str | None = None
    when: WhenSpec | None = None


class AskInfo(_Model):
    type: Literal["ask_info"] = "ask_info"
    topic: InfoTopic
    service_id: str | None = None
    text: str | None = None  # the part of the message that asks it


class AskFaq(_Model):
    """A question for the FAQ; ``text`` is the part of the message that asks it."""

    type: Literal["ask_faq"] = "ask_faq"
    text: str


class ReportLate(_Model):
    type: Literal["report_late"] = "report_late"
    minutes: int | None = None


class Handoff(_Model):
    type: Literal["handoff"] = "handoff"
    reason: HandoffReason = HandoffReason.REQUEST


class Unclear(_Model):
    """Nothing the bot can act on."""

    type: Literal["unclear"] = "unclear"


Command = Annotated[
    Greet
    | Thanks
    | Presence
    | Confirm
    | Deny
    | Decline
    | StartBooking
    | BookSeries
    | SetSlots
    | Correct
    | ChooseOption
    | CancelBooking
    | Reschedule
    | AskPrice
    | AskSchedule
    | AskInfo
    | AskFaq
    | ReportLate
    | Handoff
    | Unclear,
    Field(discriminator="type"),
]

COMMAND_TYPES: tuple[str, ...] = (
    "greet",
    "thanks",
    "presence",
    "confirm",
    "deny",
    "decline",
    "start_booking",
    "book_series",
    "set_slots",
    "correct",
    "choose_option",
    "cancel_booking",
    "reschedule",
    "ask_price",
    "ask_schedule",
    "ask_info",
    "ask_faq",
    "report_late",
    "handoff",
    "unclear",
)


class Entities(_Model):
    """Everything the message carries, extracted once (whether a command uses it or not)."""

    service_ids: tuple[str, ...] = ()  # in the order written
    when: WhenSpec | None = None
    phone: str | None = None  # E.164
    phone_attempt: bool = False  # digits that do not make a valid phone ("8916123")
    name: str | None = None
    attendee: str | None = None
    yes: bool = False
    no: bool = False


class Understanding(_Model):
    """One message, understood: what it carries and what it asks, in the order written."""

    commands: tuple[Command, ...]
    entities: Entities = Field(default_factory=Entities)
    source: Literal["rules", "llm"] = "rules"

    def of_type(self, *types: type[BaseModel]) -> list[Command]:
        return [c for c in self.commands if isinstance(c, types)]

    def first(self, kind: type[BaseModel]) -> Command | None:
        found = self.of_type(kind)
        return found[0] if found else None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(c.type for c in self.commands)
