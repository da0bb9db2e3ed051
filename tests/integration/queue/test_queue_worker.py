"""The outbound queue end to end: ``ArqOutbox`` → real Redis → a burst arq worker → the real
Telegram adapter → the fake Bot API over a socket; dead letters in a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from arq.connections import ArqRedis
from structlog.testing import capture_logs

from dancebot.adapters.queue.delivery import DeliveryLedger
from dancebot.adapters.queue.outbox import ArqOutbox, outbound_job_id
from dancebot.adapters.queue.rate_limit import DEFAULT_LIMITS
from dancebot.domain.messages import Button, OutboundMessage
from dancebot.testing.fake_telegram import FakeTelegram

from .conftest import CHAT, WorkerRig

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # arq's own Worker.close calls redis-py's deprecated close(); nothing of ours
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

NewMessage = Callable[..., OutboundMessage]


def _retries(logs: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(e["delay"], e["counted"]) for e in logs if e["event"] == "outbound_retry"]


async def test_putting_a_message_twice_queues_it_once(
    arq_pool: ArqRedis, rig: WorkerRig, new_message: NewMessage
) -> None:
    outbox = ArqOutbox(arq_pool, keys=rig.keys)
    message = new_message()

    await outbox.put(message)
    await outbox.put(message)

    jobs = await arq_pool.queued_jobs(queue_name=rig.keys.arq_queue())
    assert [job.job_id for job in jobs] == [outbound_job_id(message.id)]
    assert jobs[0].function == "send_outbound"
    assert OutboundMessage.model_validate_json(jobs[0].args[0]) == message


async def test_a_queued_message_reaches_telegram_once_with_its_buttons(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    outbox = ArqOutbox(arq_pool, keys=rig.keys)
    message = new_message("Во сколько удобно?", buttons=(Button(title="19:00", payload="t19"),))
    await outbox.put(message)

    worker = await rig.run_burst()
    await outbox.put(message)  # again after delivery: arq still keeps the result
    await rig.run_burst()

    sent = fake.sent_messages(CHAT)
    assert [(m.text, m.payloads) for m in sent] == [("Во сколько удобно?", ("t19",))]
    assert worker.jobs_complete == 1
    assert await DeliveryLedger(rig.redis, keys=rig.keys).was_sent(message.id)


async def test_two_server_errors_then_delivered_once_on_the_schedule(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    fake.fail_next("500", times=2, method="sendMessage")
    await ArqOutbox(arq_pool, keys=rig.keys).put(new_message("Напоминание"))

    with capture_logs() as logs:
        await rig.run_burst()

    assert len(fake.calls_to("sendMessage")) == 3
    assert [m.text for m in fake.sent_messages(CHAT)] == ["Напоминание"]
    # the first two delays of the schedule, in order, each counted as an attempt
    assert _retries(logs) == [(0.0, True), (0.05, True)]


async def test_four_failures_file_a_dead_letter_with_the_error_and_attempts(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    fake.fail_next("502", times=4, method="sendMessage")
    message = new_message("Не дойдёт")
    await ArqOutbox(arq_pool, keys=rig.keys).put(message)

    with capture_logs() as logs:
        await rig.run_burst()

    assert len(fake.calls_to("sendMessage")) == 4
    assert fake.sent_messages() == []
    assert _retries(logs) == [(0.0, True), (0.05, True), (0.1, True)]
    [letter] = await rig.deps().dead_letters.list_open()
    assert letter.message == message
    assert letter.attempts == 4
    assert letter.error.startswith("unavailable: ChannelUnavailable")
    assert "Bad Gateway" in letter.error


async def test_a_refusal_is_filed_at_once(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    fake.fail_next("403", method="sendMessage")  # the client blocked the bot
    await ArqOutbox(arq_pool, keys=rig.keys).put(new_message())

    await rig.run_burst()

    assert len(fake.calls_to("sendMessage")) == 1
    [letter] = await rig.deps().dead_letters.list_open()
    assert (letter.attempts, letter.error.split(":")[0]) == (1, "rejected")
    assert "blocked" in letter.error


async def test_too_many_requests_waits_retry_after_and_delivers_once(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    fake.fail_next("429", retry_after=1, method="sendMessage")
    message = new_message("Через 2 часа занятие")
    await ArqOutbox(arq_pool, keys=rig.keys).put(message)

    with capture_logs() as logs:
        await rig.run_burst()

    assert len(fake.calls_to("sendMessage")) == 2
    assert [m.text for m in fake.sent_messages(CHAT)] == ["Через 2 часа занятие"]
    assert _retries(logs) == [(1.0, False)]  # Telegram's retry_after, not an attempt
    assert await DeliveryLedger(rig.redis, keys=rig.keys).failures(message.id) == 0


async def test_a_job_run_again_after_a_successful_send_sends_nothing(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    message = new_message()
    await ArqOutbox(arq_pool, keys=rig.keys).put(message)
    await rig.run_burst()
    # arq runs the same message again (a job whose result had expired, or re-queued by hand)
    await arq_pool.enqueue_job(
        "send_outbound",
        message.model_dump_json(),
        _job_id=f"again-{message.id}",
        _queue_name=rig.keys.arq_queue(),
    )

    with capture_logs() as logs:
        await rig.run_burst()

    assert len(fake.calls_to("sendMessage")) == 1
    assert [e["event"] for e in logs if e["event"].startswith("outbound_")] == [
        "outbound_already_sent"
    ]


async def test_two_workers_on_one_queue_send_a_message_once(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    import asyncio

    fake, _ = telegram
    fake.fail_next("timeout", seconds=0.3, method="sendMessage")  # a slow, successful answer
    outbox = ArqOutbox(arq_pool, keys=rig.keys)
    messages = [new_message(f"Сообщение {n}") for n in range(5)]
    for message in messages:
        await outbox.put(message)

    await asyncio.gather(rig.run_burst(), rig.run_burst())

    texts = [m.text for m in fake.sent_messages(CHAT)]
    assert sorted(texts) == sorted(m.text for m in messages)


async def test_the_chat_limit_spaces_messages_without_counting_attempts(
    arq_pool: ArqRedis,
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
) -> None:
    fake, _ = telegram
    rig.limits = dict(DEFAULT_LIMITS)  # Telegram: one message a second in a chat
    outbox = ArqOutbox(arq_pool, keys=rig.keys)
    first, second = new_message("Первое"), new_message("Второе")
    await outbox.put(first)
    await outbox.put(second)

    with capture_logs() as logs:
        await rig.run_burst()

    assert sorted(m.text for m in fake.sent_messages(CHAT)) == ["Второе", "Первое"]
    deferrals = _retries(logs)
    assert deferrals and all(counted is False for _, counted in deferrals)
    assert all(0 < float(delay) <= 1.0 for delay, _ in deferrals)  # type: ignore[arg-type]
    ledger = DeliveryLedger(rig.redis, keys=rig.keys)
    assert [await ledger.failures(m.id) for m in (first, second)] == [0, 0]
