"""The pre-approved WhatsApp message templates (RFC §19.2, contract §16) as data.

A template is what WhatsApp lets the bot send outside the 24 h customer-service window
(reminders always, a booking confirmation when the client last wrote long ago). The same
words are rendered here as plain text, so a reminder can go to Telegram when WhatsApp cannot
take it (contract §16 fallback). The texts must stay exactly as approved by Meta: a changed
word is a different template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from dancebot.domain.messages import TemplateCall

_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
_WHITESPACE = re.compile(r"\s+")


class TemplateError(ValueError):
    """A template call that cannot be sent: unknown name or wrong number of parameters."""


@dataclass(frozen=True, slots=True)
class WhatsAppTemplate:
    """One approved template: its name at Meta, its language and its body with ``{{n}}``
    placeholders numbered from 1."""

    name: str
    body: str
    language: str = "ru"

    @property
    def param_count(self) -> int:
        return len(set(_PLACEHOLDER.findall(self.body)))

    def render(self, params: tuple[str, ...] | list[str]) -> str:
        """The body with ``{{n}}`` replaced by ``params[n-1]``. Raises ``TemplateError`` when
        the number of parameters differs from the placeholders'."""
        if len(params) != self.param_count:
            raise TemplateError(
                f"template {self.name} takes {self.param_count} parameters, got {len(params)}"
            )
        values = clean_params(params)
        return _PLACEHOLDER.sub(lambda match: values[int(match.group(1)) - 1], self.body)


LESSON_REMINDER_24H = WhatsAppTemplate(
    name="lesson_reminder_24h",
    body="Привет {{1}}! Завтра в {{2}} у тебя {{3}}. До встречи! 💃",
)
LESSON_REMINDER_2H = WhatsAppTemplate(
    name="lesson_reminder_2h",
    body="{{1}}, через 2 часа — {{2}}. Ждём!",
)
BOOKING_CONFIRM = WhatsAppTemplate(
    name="booking_confirm",
    body="{{1}}, вы записаны: {{2}}, {{3}}. Вопросы? Напишите!",
)

TEMPLATES: Mapping[str, WhatsAppTemplate] = MappingProxyType(
    {t.name: t for t in (LESSON_REMINDER_24H, LESSON_REMINDER_2H, BOOKING_CONFIRM)}
)


def clean_params(params: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Parameters as Meta accepts them: no new lines or tabs and no runs of spaces (it refuses
    a parameter with either), so every whitespace run becomes one space."""
    return tuple(_WHITESPACE.sub(" ", param).strip() for param in params)


def template_for(call: TemplateCall) -> WhatsAppTemplate:
    """The approved template ``call`` names, checked: raises ``TemplateError`` for an unknown
    name, another language than the approved one, or a wrong number of parameters."""
    template = TEMPLATES.get(call.name)
    if template is None:
        raise TemplateError(f"unknown WhatsApp template {call.name!r}")
    if call.language != template.language:
        raise TemplateError(
            f"template {call.name} is approved in {template.language!r}, not {call.language!r}"
        )
    if len(call.params) != template.param_count:
        raise TemplateError(
            f"template {call.name} takes {template.param_count} parameters, got {len(call.params)}"
        )
    return template


def render_template(call: TemplateCall) -> str:
    """The text ``call`` puts on the client's screen (for another channel, or the record).
    Raises ``TemplateError`` as ``template_for`` does."""
    return template_for(call).render(call.params)
