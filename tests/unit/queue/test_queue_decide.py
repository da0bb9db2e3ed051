"""What the outbound worker does after one attempt (pure), the fallback copy of a message, and
the worker's settings."""

from __future__ import annotations

import logging

import pytest
from arq.connections import RedisSettings

from dancebot.adapters.queue.delivery import (
    OUTSIDE_WINDOW,
    REJECTED,
    UNAVAILABLE,
    GiveUp,
    RetryIn,
    RetryPolicy,
    decide,
)
from dancebot.adapters.queue.jobs import fallback_message
from dancebot.adapters.queue.outbox import SEND_OUTBOUND, outbound_job_id
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Button, Channel, OutboundMessage, TemplateCall
from dancebot.entrypoints.worker import ARQ_MAX_TRIES, install_arq_log_masking, worker_settings
from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    ChannelUnavailable,
    OutsideWindow,
)

POLICY = RetryPolicy()


def test_a_channel_that_is_down_is_tried_after_0_5_and_30_seconds_then_given_up() -> None:
    down = ChannelUnavailable("502 Bad Gateway")

    decisions = [decide(down, failures_before=n, policy=POLICY) for n in range(4)]

    assert decisions[:3] == [
        RetryIn(0.0, counted=True),
        RetryIn(5.0, counted=True),
        RetryIn(30.0, counted=True),
    ]
    assert decisions[3] == GiveUp(UNAVAILABLE, "ChannelUnavailable: 502 Bad Gateway", 4)


def test_an_unknown_channel_error_is_treated_as_the_channel_being_down() -> None:
    assert decide(ChannelError("odd"), failures_before=0, policy=POLICY) == RetryIn(0.0, True)


def test_a_refusal_gives_up_at_once() -> None:
    decision = decide(
        ChannelRejected("Forbidden: bot was blocked"), failures_before=0, policy=POLICY
    )

    assert decision == GiveUp(REJECTED, "ChannelRejected: Forbidden: bot was blocked", 1)
    assert decision.error == "rejected: ChannelRejected: Forbidden: bot was blocked"


def test_a_closed_window_gives_up_at_once_with_its_own_reason() -> None:
    decision = decide(OutsideWindow("131047"), failures_before=2, policy=POLICY)

    assert isinstance(decision, GiveUp)
    assert (decision.reason, decision.attempts) == (OUTSIDE_WINDOW, 3)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(3.0, 3.0), (0.2, 1.0), (None, 5.0)],
)
def test_too_many_requests_waits_as_told_at_least_a_second_and_is_not_an_attempt(
    retry_after: float | None, expected: float
) -> None:
    error = ChannelRateLimited("Too Many Requests", retry_after=retry_after)

    # even after the schedule is used up: a 429 is no sign the message cannot be delivered
    assert decide(error, failures_before=3, policy=POLICY) == RetryIn(expected, counted=False)


def test_the_schedule_is_injectable() -> None:
    policy = RetryPolicy(delays=(0.01,))
    down = ChannelUnavailable("timeout")

    assert decide(down, failures_before=0, policy=policy) == RetryIn(0.01, counted=True)
    assert isinstance(decide(down, failures_before=1, policy=policy), GiveUp)
    assert policy.max_attempts == 2
    assert policy.claim_ttl > policy.send_timeout + policy.record_wait


@pytest.mark.parametrize(
    "bad",
    [{"delays": (-1.0,)}, {"send_timeout": 0.0}, {"max_job_tries": 1}],
)
def test_a_nonsensical_policy_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_the_fallback_is_the_same_text_without_the_template_under_a_derived_id() -> None:
    reminder = OutboundMessage(
        channel=Channel.WHATSAPP,
        chat_id="79991234567",
        text="Анна, через 2 часа — Contemporary",
        buttons=(Button(title="Приду"),),
        template=TemplateCall(name="lesson_reminder_2h", params=("Анна", "Contemporary")),
        trace_id="t-1",
        fallback_channel=Channel.TELEGRAM,
        fallback_chat_id="555",
    )

    fallback = fallback_message(reminder)

    assert fallback is not None
    assert (fallback.channel, fallback.chat_id, fallback.text) == (
        Channel.TELEGRAM,
        "555",
        reminder.text,
    )
    assert (fallback.template, fallback.fallback_channel) == (None, None)
    assert (fallback.buttons, fallback.trace_id) == (reminder.buttons, "t-1")
    assert fallback.id == f"{reminder.id}-fallback"
    assert fallback_message(fallback) is None


def test_a_message_has_one_job_id() -> None:
    assert outbound_job_id("abc") == "out:abc"


def test_worker_settings_run_the_send_job_on_the_outbox_queue() -> None:
    keys = RedisKeys(prefix="studio")

    async def build() -> None:  # never entered here
        raise AssertionError

    settings = worker_settings(
        build,  # type: ignore[arg-type]
        keys=keys,
        redis_settings=RedisSettings(),
    )

    [send] = settings["functions"]
    assert (send.name, send.max_tries) == (SEND_OUTBOUND, ARQ_MAX_TRIES)
    assert settings["queue_name"] == "studio:arq:queue"
    assert RetryPolicy().max_job_tries < ARQ_MAX_TRIES
    with pytest.raises(ValueError):
        worker_settings(build, keys=keys)  # type: ignore[arg-type]


def test_arq_log_lines_have_phones_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_arq_log_masking()
    install_arq_log_masking()  # idempotent

    with caplog.at_level(logging.INFO, logger="arq.worker"):
        logging.getLogger("arq.worker").info(
            "%6.2fs → %s(%s)", 0.01, "out:1:send_outbound", '\'{"chat_id":"79991234567"}\''
        )

    [record] = caplog.records
    assert "79991234567" not in record.getMessage()
    assert "****" in record.getMessage()
    assert len(logging.getLogger("arq.worker").filters) == 1
