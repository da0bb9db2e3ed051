"""Knowledge base schema v1.0 (DESIGN §8): the studio's facts, tone, services, FAQ and policies.

Every model forbids unknown fields, so a typo or a field the schema leaves out on purpose
(a teacher's ``rating``) is a validation error rather than silently ignored data. Checks that
span sections (teachers' styles exist, ids are unique) run on ``KnowledgeBase`` and report
each problem with its field path in the error's context (see ``loader``).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = "1.0"
CROSS_REFERENCE_ERROR = "kb_cross_reference"

Price = Annotated[int, Field(ge=0, strict=True)]
NonEmptyStr = Annotated[str, Field(min_length=1)]

# A price written in free text: "2000 ₽", "1 500 руб.", "от 700 р"
_PRICE_IN_TEXT = re.compile(r"(\d{1,3}(?:[  ]\d{3})+|\d+)\s*(?:₽|руб|р\.|р\b)", re.IGNORECASE)


class _KbModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Studio(_KbModel):
    name: NonEmptyStr
    address: NonEmptyStr
    phone: str
    timezone: str
    schedule: NonEmptyStr  # opening hours, free text
    how_to_get: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone_is_e164(cls, value: str) -> str:
        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise ValueError(f"not a phone number in E.164 form like +74232650987 ({exc})") from exc
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if not phonenumbers.is_valid_number(parsed):
            raise ValueError(f"{value!r} is not a valid phone number")
        if e164 != value:
            raise ValueError(f"write the phone in E.164 form: {e164!r}, not {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_is_iana(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Vladivostok)") from exc
        return value


class Tone(_KbModel):
    style: str
    pronouns: Literal["ты", "вы"]
    emoji: int = Field(ge=0, le=2, strict=True)  # at most this many emoji per message
    language: Literal["ru"]


class Service(_KbModel):
    """A dance style the studio teaches. ``name`` is the style's name in the CRM."""

    id: NonEmptyStr
    name: NonEmptyStr
    aliases: list[NonEmptyStr] = Field(default_factory=list)
    description: str
    price_single: Price
    price_subscription_8: Price
    trial_price: Price | None = None

    @property
    def prices(self) -> set[int]:
        found = {self.price_single, self.price_subscription_8}
        if self.trial_price is not None:
            found.add(self.trial_price)
        return found


class Teacher(_KbModel):
    id: NonEmptyStr
    name: NonEmptyStr
    styles: list[str] = Field(min_length=1)  # service ids
    specialization: str


class FaqEntry(_KbModel):
    q: NonEmptyStr
    a: NonEmptyStr
    tags: list[str] = Field(default_factory=list)


class Holiday(_KbModel):
    """Days the studio is closed, both ends included."""

    from_: date = Field(alias="from")
    to: date
    name: NonEmptyStr
    message: NonEmptyStr

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.from_ > self.to:
            raise ValueError(f"'from' ({self.from_}) is after 'to' ({self.to})")
        return self

    def covers(self, day: date) -> bool:
        return self.from_ <= day <= self.to


class Escalation(_KbModel):
    triggers: list[NonEmptyStr]  # phrases that always go to the admin
    admin_telegram_id: int = Field(strict=True)


class Policies(_KbModel):
    late_cancel_hours: int = Field(default=2, ge=0, le=168)
    serial_booking_max: int = Field(default=5, ge=1, le=20)
    booking_horizon_days: int = Field(default=30, ge=1, le=365)


class KnowledgeBase(_KbModel):
    """One studio's knowledge base. Build it with ``loader.load_kb``."""

    schema_version: Literal["1.0"]
    studio: Studio
    tone: Tone
    services: list[Service] = Field(min_length=1)
    teachers: list[Teacher]
    faq: list[FaqEntry]
    holidays: list[Holiday]
    escalation: Escalation
    policies: Policies = Field(default_factory=Policies)

    @model_validator(mode="after")
    def _cross_references(self) -> KnowledgeBase:
        problems = cross_reference_problems(self)
        if problems:
            summary = "; ".join(f"{field}: {problem}" for field, problem in problems)
            raise PydanticCustomError(
                CROSS_REFERENCE_ERROR, "{summary}", {"summary": summary, "problems": problems}
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.studio.timezone)

    def service_by_id(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def teachers_for(self, service_id: str) -> list[Teacher]:
        return [t for t in self.teachers if service_id in t.styles]

    def holiday_on(self, day: date) -> Holiday | None:
        """The holiday that closes the studio on ``day``, if any."""
        return next((h for h in self.holidays if h.covers(day)), None)

    def all_prices(self) -> set[int]:
        """Every price the KB states: service prices and sums in rubles in FAQ/holiday text.

        The policy enforcer allows a reply to name only these.
        """
        found: set[int] = set()
        for service in self.services:
            found |= service.prices
        texts = [e.a for e in self.faq] + [h.message for h in self.holidays]
        for text in texts:
            for match in _PRICE_IN_TEXT.finditer(text):
                found.add(int(re.sub(r"\D", "", match.group(1))))
        return found


def cross_reference_problems(kb: KnowledgeBase) -> tuple[tuple[str, str], ...]:
    """(field path, problem) for each check that spans sections; empty when all hold."""
    problems: list[tuple[str, str]] = []
    problems += _duplicates("services", [s.id for s in kb.services])
    problems += _duplicates("teachers", [t.id for t in kb.teachers])
    known = {s.id for s in kb.services}
    for t_index, teacher in enumerate(kb.teachers):
        for s_index, style in enumerate(teacher.styles):
            if style not in known:
                problems.append(
                    (
                        f"teachers[{t_index}].styles[{s_index}]",
                        f"unknown service id {style!r} (known: {', '.join(sorted(known))})",
                    )
                )
    return tuple(problems)


def _duplicates(section: str, ids: list[str]) -> list[tuple[str, str]]:
    counts = Counter(ids)
    seen: set[str] = set()
    problems: list[tuple[str, str]] = []
    for index, item_id in enumerate(ids):
        if counts[item_id] > 1 and item_id in seen:
            problems.append((f"{section}[{index}].id", f"duplicate id {item_id!r}"))
        seen.add(item_id)
    return problems
