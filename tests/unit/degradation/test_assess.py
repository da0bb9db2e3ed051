"""``assess``: the level from what is down, the backlog alert from the queues (RFC §21), and
what a client is told at each level."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dancebot.domain.degradation import Backlog, Degradation, Level, assess, client_notice

SLA = timedelta(hours=1)
CALM: dict[str, Any] = {
    "crm_down": False,
    "llm_down": False,
    "channels_down": frozenset(),
    "dead_letters": 0,
    "fallback_size": 0,
    "oldest_fallback_age": None,
    "fallback_sla": SLA,
}


@pytest.mark.parametrize(
    ("changes", "level", "reasons", "backlog_alert"),
    [
        pytest.param({}, Level.NORMAL, (), False, id="all-up"),
        pytest.param({"crm_down": True}, Level.CRM_DOWN, ("crm_down",), False, id="crm"),
        pytest.param({"llm_down": True}, Level.LLM_DOWN, ("llm_down",), False, id="llm"),
        pytest.param(
            {"crm_down": True, "llm_down": True},
            Level.CRM_AND_LLM_DOWN,
            ("crm_down", "llm_down"),
            False,
            id="both",
        ),
        pytest.param(
            {"channels_down": frozenset({"whatsapp", "telegram"})},
            Level.NORMAL,
            ("channel_down:telegram", "channel_down:whatsapp"),
            False,
            id="channels-are-a-flag-not-a-level",
        ),
        pytest.param({"dead_letters": 50}, Level.NORMAL, (), False, id="50-dead-letters-ok"),
        pytest.param(
            {"dead_letters": 51}, Level.BACKLOG, ("dead_letters>50",), True, id="51-dead-letters"
        ),
        pytest.param({"fallback_size": 20}, Level.NORMAL, (), False, id="20-queued-ok"),
        pytest.param(
            {"fallback_size": 21}, Level.BACKLOG, ("fallback_queue>20",), True, id="21-queued"
        ),
        pytest.param(
            {"fallback_size": 1, "oldest_fallback_age": SLA},
            Level.NORMAL,
            (),
            False,
            id="waiting-exactly-the-sla",
        ),
        pytest.param(
            {"fallback_size": 1, "oldest_fallback_age": SLA + timedelta(seconds=1)},
            Level.BACKLOG,
            ("fallback_overdue",),
            True,
            id="overdue",
        ),
        pytest.param(
            {"crm_down": True, "fallback_size": 30},
            Level.CRM_DOWN,
            ("crm_down", "fallback_queue>20"),
            True,
            id="crm-down-outranks-the-backlog-but-keeps-the-alert",
        ),
        pytest.param(
            {"crm_down": True, "llm_down": True, "dead_letters": 60, "fallback_size": 21},
            Level.CRM_AND_LLM_DOWN,
            ("crm_down", "llm_down", "dead_letters>50", "fallback_queue>20"),
            True,
            id="everything",
        ),
    ],
)
def test_assess(
    changes: dict[str, Any], level: Level, reasons: tuple[str, ...], backlog_alert: bool
) -> None:
    degradation = assess(**(CALM | changes))

    assert (degradation.level, degradation.reasons, degradation.backlog_alert) == (
        level,
        reasons,
        backlog_alert,
    )


def test_assess_keeps_the_numbers_and_the_channels() -> None:
    degradation = assess(
        **CALM
        | {
            "crm_down": True,
            "channels_down": frozenset({"whatsapp"}),
            "dead_letters": 3,
            "fallback_size": 2,
            "oldest_fallback_age": timedelta(minutes=5),
        }
    )

    assert degradation.backlog == Backlog(
        dead_letters=3, fallback_size=2, oldest_fallback_age=timedelta(minutes=5)
    )
    assert degradation.channels_down == frozenset({"whatsapp"})
    assert (degradation.crm_down, degradation.llm_down) == (True, False)
    assert degradation.to_report() == {
        "level": "L1",
        "reasons": ["crm_down", "channel_down:whatsapp"],
        "backlog_alert": False,
        "channels_down": ["whatsapp"],
        "dead_letters": 3,
        "fallback_queue": 2,
        "oldest_fallback_seconds": 300,
    }


@pytest.mark.parametrize(
    ("level", "crm_down", "llm_down"),
    [
        (Level.NORMAL, False, False),
        (Level.CRM_DOWN, True, False),
        (Level.LLM_DOWN, False, True),
        (Level.CRM_AND_LLM_DOWN, True, True),
        (Level.BACKLOG, False, False),
    ],
)
def test_what_is_down_at_each_level(level: Level, crm_down: bool, llm_down: bool) -> None:
    degradation = Degradation(level=level)
    assert (degradation.crm_down, degradation.llm_down) == (crm_down, llm_down)


def test_levels_are_numbered_as_the_spec_names_them() -> None:
    assert [(int(level), level.code) for level in Level] == [
        (0, "L0"),
        (1, "L1"),
        (2, "L2"),
        (3, "L3"),
        (4, "L4"),
    ]


@pytest.mark.parametrize(
    ("level", "notice"),
    [
        (Level.NORMAL, None),
        (Level.CRM_DOWN, "Записываю вашу заявку, администратор подтвердит в ближайшее время!"),
        (Level.LLM_DOWN, None),  # without an LLM the deterministic path is the normal path
        (
            Level.CRM_AND_LLM_DOWN,
            "Сейчас у нас технические неполадки. Записала вашу заявку — администратор "
            "свяжется с вами.",
        ),
        (Level.BACKLOG, None),  # the client does not see the queues
    ],
)
def test_client_notice(level: Level, notice: str | None) -> None:
    assert client_notice(level) == notice
