"""Degradation levels (contract §13, RFC §21): how much of the bot works right now.

Pure: ``assess`` turns what the adapters observed (is the CRM's breaker open, is the LLM down,
which channels fail, how long the queues are) into a ``Degradation``, and ``client_notice``
says what a client is told at each level.

The level follows the services a conversation needs (they decide what the client hears):
L1 CRM down, L2 LLM down, L3 both. The RFC's queue backlog (its L4) is *also* reported as the
``backlog_alert`` flag, because a backlog can pile up while the CRM is down; the level is L4
only when every service is up and the queues still need the admin. The RFC's other L3,
"channel down", clashes with the contract's L3 and is a separate ``channels_down`` set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum

DEAD_LETTERS_ALERT_ABOVE = 50
FALLBACK_ALERT_ABOVE = 20


class Level(IntEnum):
    """The value is the level's number (the ``dancebot_degradation_level`` gauge)."""

    NORMAL = 0  # L0: everything up
    CRM_DOWN = 1  # L1: consult from the KB, bookings go to the fallback queue
    LLM_DOWN = 2  # L2: deterministic NLU and templates (the embedded default anyway)
    CRM_AND_LLM_DOWN = 3  # L3: "technical issues, the admin will contact you"
    BACKLOG = 4  # L4: services up, queues piling up; only the admin hears of it

    @property
    def code(self) -> str:
        """``"L0"`` … ``"L4"``, as the spec names them."""
        return f"L{self.value}"


@dataclass(frozen=True, slots=True)
class Backlog:
    """Work waiting for a human: open dead letters and the booking fallback queue."""

    dead_letters: int = 0
    fallback_size: int = 0
    oldest_fallback_age: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Degradation:
    """The assessed state. ``reasons`` are short stable tokens for logs, alerts and /health
    (``crm_down``, ``llm_down``, ``channel_down:whatsapp``, ``dead_letters>50``,
    ``fallback_queue>20``, ``fallback_overdue``)."""

    level: Level
    reasons: tuple[str, ...] = ()
    backlog_alert: bool = False
    channels_down: frozenset[str] = frozenset()
    backlog: Backlog = field(default_factory=Backlog)

    @property
    def crm_down(self) -> bool:
        return self.level in (Level.CRM_DOWN, Level.CRM_AND_LLM_DOWN)

    @property
    def llm_down(self) -> bool:
        return self.level in (Level.LLM_DOWN, Level.CRM_AND_LLM_DOWN)

    def to_report(self) -> dict[str, object]:
        """A JSON-ready summary (for ``/health``)."""
        age = self.backlog.oldest_fallback_age
        return {
            "level": self.level.code,
            "reasons": list(self.reasons),
            "backlog_alert": self.backlog_alert,
            "channels_down": sorted(self.channels_down),
            "dead_letters": self.backlog.dead_letters,
            "fallback_queue": self.backlog.fallback_size,
            "oldest_fallback_seconds": None if age is None else int(age.total_seconds()),
        }


def assess(
    *,
    crm_down: bool,
    llm_down: bool,
    channels_down: frozenset[str],
    dead_letters: int,
    fallback_size: int,
    oldest_fallback_age: timedelta | None,
    fallback_sla: timedelta,
) -> Degradation:
    """The level and why. ``backlog_alert`` is on when more than 50 dead letters are open,
    more than 20 bookings wait in the fallback queue, or the oldest has waited longer than
    ``fallback_sla`` (RFC §21 L4)."""
    reasons: list[str] = []
    if crm_down:
        reasons.append("crm_down")
    if llm_down:
        reasons.append("llm_down")
    reasons.extend(f"channel_down:{name}" for name in sorted(channels_down))
    backlog_reasons = []
    if dead_letters > DEAD_LETTERS_ALERT_ABOVE:
        backlog_reasons.append(f"dead_letters>{DEAD_LETTERS_ALERT_ABOVE}")
    if fallback_size > FALLBACK_ALERT_ABOVE:
        backlog_reasons.append(f"fallback_queue>{FALLBACK_ALERT_ABOVE}")
    if oldest_fallback_age is not None and oldest_fallback_age > fallback_sla:
        backlog_reasons.append("fallback_overdue")
    return Degradation(
        level=_level(crm_down=crm_down, llm_down=llm_down, backlog=bool(backlog_reasons)),
        reasons=(*reasons, *backlog_reasons),
        backlog_alert=bool(backlog_reasons),
        channels_down=channels_down,
        backlog=Backlog(
            dead_letters=dead_letters,
            fallback_size=fallback_size,
            oldest_fallback_age=oldest_fallback_age,
        ),
    )


def _level(*, crm_down: bool, llm_down: bool, backlog: bool) -> Level:
    if crm_down and llm_down:
        return Level.CRM_AND_LLM_DOWN
    if crm_down:
        return Level.CRM_DOWN
    if llm_down:
        return Level.LLM_DOWN
    return Level.BACKLOG if backlog else Level.NORMAL


_CLIENT_NOTICES: dict[Level, str] = {
    Level.CRM_DOWN: "Записываю вашу заявку, администратор подтвердит в ближайшее время!",
    Level.CRM_AND_LLM_DOWN: (
        "Сейчас у нас технические неполадки. Записала вашу заявку — администратор свяжется с вами."
    ),
}


def client_notice(level: Level) -> str | None:
    """What a client who asks to book is told at ``level`` (RFC §21), or None when nothing
    special is said: at L2 the deterministic path is the normal path (DESIGN §5), and the
    backlog (L4) is the admin's business."""
    return _CLIENT_NOTICES.get(level)
