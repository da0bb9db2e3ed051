"""The scenario file (SCENARIOS.md) as pydantic models.

Unknown top-level keys are ignored (the format grows by optional keys); unknown keys inside a
step, a check block or ``final`` are errors, so a misspelt check can never pass silently.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from dancebot.domain.fsm import State
from dancebot.domain.messages import MessageType
from dancebot.evaluation.durations import parse_duration
from dancebot.nlu.phone import normalize_phone

ChannelName = Literal["telegram", "whatsapp"]
NON_TEXT_TYPES = ("voice", "sticker", "photo", "video", "document", "location")


def _as_list(value: Any) -> Any:
    """A single string where a list is expected means a list of one."""
    return [value] if isinstance(value, str) else value


TextList = Annotated[list[str], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """Checks on the bot's replies to one step (all text checks ignore case)."""

    reply_contains: TextList | None = None
    reply_contains_any: TextList | None = None
    reply_not_contains: TextList | None = None
    reply_matches: str | None = None
    buttons_contain: TextList | None = None
    no_reply: bool | None = None
    state: str | None = None
    handoff: bool | None = None

    @field_validator("reply_matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from exc
        return value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().lower()
        known = [s.value for s in State]
        if name not in known:
            raise ValueError(f"unknown state {value!r}; one of: {', '.join(known)}")
        return name


class ExpectOutbound(Expect):
    """Checks on what the bot sent on its own (reminders, relays, timeout notices)."""

    contains: TextList | None = None


class EditSpec(_Strict):
    step: int = Field(ge=1)  # 1-based among the scenario's `user` steps
    text: str


class SendSpec(_Strict):
    type: Literal["voice", "sticker", "photo", "video", "document", "location"]

    @property
    def message_type(self) -> MessageType:
        return MessageType(self.type)


class FaultSpec(_Strict):
    crm: Literal["down", "up", "slow"] | None = None
    llm: Literal["down", "up"] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> FaultSpec:
        if self.crm is None and self.llm is None:
            raise ValueError("a fault names crm (down|up|slow) and/or llm (down|up)")
        return self


class UserStep(_Strict):
    user: str
    expect: Expect | None = None


class PressStep(_Strict):
    press: str
    expect: Expect | None = None


class EditStep(_Strict):
    edit: EditSpec
    expect: Expect | None = None


class SendStep(_Strict):
    send: SendSpec
    expect: Expect | None = None


class DuplicateStep(_Strict):
    duplicate: bool
    expect: Expect | None = None

    @field_validator("duplicate")
    @classmethod
    def _only_true(cls, value: bool) -> bool:
        if not value:
            raise ValueError("write `duplicate: true` (there is no `false` form)")
        return value


class AdvanceStep(_Strict):
    advance: str
    expect: Expect | None = None

    @field_validator("advance")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value)  # raises ValueError with the accepted forms
        return value

    @property
    def delta(self) -> timedelta:
        return parse_duration(self.advance)


class AdminStep(_Strict):
    admin: str
    expect: Expect | None = None


class FaultStep(_Strict):
    fault: FaultSpec
    expect: Expect | None = None


class ExpectOutboundStep(_Strict):
    expect_outbound: ExpectOutbound


STEP_KINDS: dict[str, type[BaseModel]] = {
    "user": UserStep,
    "press": PressStep,
    "edit": EditStep,
    "send": SendStep,
    "duplicate": DuplicateStep,
    "advance": AdvanceStep,
    "admin": AdminStep,
    "fault": FaultStep,
    "expect_outbound": ExpectOutboundStep,
}
# Steps in which the user (not the channel, the clock or the admin) sends something.
USER_MESSAGE_KINDS = frozenset({"user", "press", "edit", "send"})


def step_kind(raw: Any) -> str | None:
    """The kind of a raw step mapping (its one key that names a kind), else None."""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        return None
    kinds = [key for key in raw if key in STEP_KINDS]
    return kinds[0] if len(kinds) == 1 else None


def _check_step_kinds(raw: Any) -> Any:
    if not isinstance(raw, list):
        return raw
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"step {number} is not a mapping like `- user: Привет`")
        kinds = [key for key in item if key in STEP_KINDS]
        if len(kinds) > 1:
            raise ValueError(f"step {number} has several kinds ({', '.join(kinds)}); one per step")
        if not kinds:
            keys = ", ".join(map(str, item)) or "nothing"
            raise ValueError(
                f"step {number}: unknown step kind ({keys}); known: {', '.join(STEP_KINDS)}"
            )
    return raw


Step = Annotated[
    Annotated[UserStep, Tag("user")]
    | Annotated[PressStep, Tag("press")]
    | Annotated[EditStep, Tag("edit")]
    | Annotated[SendStep, Tag("send")]
    | Annotated[DuplicateStep, Tag("duplicate")]
    | Annotated[AdvanceStep, Tag("advance")]
    | Annotated[AdminStep, Tag("admin")]
    | Annotated[FaultStep, Tag("fault")]
    | Annotated[ExpectOutboundStep, Tag("expect_outbound")],
    Discriminator(step_kind),
]


class UserSpec(_Strict):
    """What the channel tells the bot about the user."""

    chat_id: str
    first_name: str | None = None
    phone: str | None = None  # WhatsApp: the sender's phone; ignored on Telegram


class ReservationExpectation(_Strict):
    """Reservations that must exist in the CRM at the end; an absent key matches anything
    (``status`` defaults to ``active``, ``count`` to 1)."""

    client_phone: str | None = None
    group: str | None = None
    start: AwareDatetime | None = None
    status: Literal["active", "cancelled"] = "active"
    count: int = Field(default=1, ge=0)

    @field_validator("client_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and normalize_phone(value) is None:
            raise ValueError(f"{value!r} is not a valid phone number")
        return value


class CrmExpectation(_Strict):
    reservations: list[ReservationExpectation] = Field(default_factory=list)
    reservations_total: int | None = Field(default=None, ge=0)


class FinalExpectation(_Strict):
    crm: CrmExpectation | None = None
    fallback_queue: int | None = Field(default=None, ge=0)
    admin_messages_min: int | None = Field(default=None, ge=0)
    max_user_steps: int | None = Field(default=None, ge=1)


class Scenario(BaseModel):
    """One conversation and what it must achieve."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    now: AwareDatetime
    channel: ChannelName
    user: UserSpec
    steps: Annotated[list[Step], BeforeValidator(_check_step_kinds)] = Field(min_length=1)
    final: FinalExpectation | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        phone = self.user.phone
        if self.channel == "whatsapp" and phone is not None and normalize_phone(phone) is None:
            raise ValueError(f"user.phone {phone!r} is not a valid phone number")
        user_steps = sum(isinstance(step, UserStep) for step in self.steps)
        for number, step in enumerate(self.steps, start=1):
            if isinstance(step, EditStep) and step.edit.step > user_steps:
                raise ValueError(
                    f"step {number} edits user step {step.edit.step}, "
                    f"but the scenario has {user_steps} user steps"
                )
        return self

    @property
    def sender_phone(self) -> str | None:
        """The E.164 phone the channel reports (WhatsApp only)."""
        if self.channel != "whatsapp" or self.user.phone is None:
            return None
        return normalize_phone(self.user.phone)
