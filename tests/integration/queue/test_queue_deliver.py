"""``deliver`` (one run of the job) on real Redis, PostgreSQL and the fake channels, in the
situations a worker process meets: a race with another worker, a dead-letter write that
fails, a closed WhatsApp window with and without a Telegram fallback, a channel not set up."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import redis.asyncio as aioredis
from arq.worker import Retry
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.tcp_proxy import TcpProxy, tcp_proxy

from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.clock import SystemClock
from dancebot.adapters.queue.dead_letters import DeadLetters
from dancebot.adapters.queue.delivery import DeliveryLedger
from dancebot.adapters.queue.jobs import (
    ALREADY_FILED,
    ALREADY_SENT,
    DEAD_LETTERED,
    DEPS,
    FELL_BACK,
    INVALID,
    OUTBOX,
    SENT,
    SUPERSEDED,
    deliver,
    send_outbound,
)
from dancebot.adapters.storage.db.engine import make_engine, make_sessionmaker
from dancebot.domain.messages import Channel, OutboundMessage, TemplateCall
from dancebot.ports.channels import ChannelSender, Delivery
from dancebot.testing.fake_telegram import FakeTelegram
from dancebot.testing.fake_whatsapp import DEFAULT_PHONE_NUMBER_ID, FakeWhatsApp
from dancebot.testing.fake_whatsapp import create_fake_whatsapp_app as whatsapp_app

from .conftest import CHAT, FAST, WorkerRig

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

NewMessage = Callable[..., OutboundMessage]
WA_TOKEN = "wa-test-token"
CLIENT_WA = "79991234567"


class RecordingOutbox:
    """Where a fallback goes in these tests (the worker's outbox is ``ArqOutbox``)."""

    def __init__(self) -> None:
        self.put_messages: list[OutboundMessage] = []

    async def put(self, message: OutboundMessage) -> None:
        self.put_messages.append(message)


@pytest.fixture
async def whatsapp() -> AsyncIterator[tuple[FakeWhatsApp, ChannelSender]]:
    state = FakeWhatsApp()
    app = whatsapp_app(state, token=WA_TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        sender = WhatsAppSender(
            http,
            token=WA_TOKEN,
            phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            api_base="http://graph.local/v21.0",
        )
        yield state, sender


async def test_two_workers_racing_on_one_message_send_it_once(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram
    fake.fail_next("timeout", seconds=0.3, method="sendMessage")  # slow, then delivered
    message = new_message()
    other_process = aioredis.from_url(REDIS_URL, decode_responses=False)
    first, second = rig.deps(), rig.deps(redis=other_process)
    outbox = RecordingOutbox()

    results = await asyncio.gather(
        deliver(first, message, job_try=1, outbox=outbox),
        deliver(second, message, job_try=1, outbox=outbox),
        return_exceptions=True,
    )
    again = await deliver(second, message, job_try=2, outbox=outbox)  # the loser's retry
    await other_process.aclose()

    assert sorted(type(r).__name__ if isinstance(r, Exception) else r for r in results) == [
        "Retry",
        SENT,
    ]
    assert again == ALREADY_SENT
    assert len(fake.calls_to("sendMessage")) == 1


async def test_a_failed_dead_letter_write_is_retried_without_sending_again(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram
    fake.fail_next("400", method="sendMessage")  # chat not found: given up at once
    message = new_message()
    broken_url = POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_database_for_dancebot"
    broken_engine = make_engine(broken_url, connect_timeout_seconds=2)
    broken = dataclasses.replace(
        rig.deps(), dead_letters=DeadLetters(make_sessionmaker(broken_engine), clock=SystemClock())
    )

    with pytest.raises((SQLAlchemyError, OSError)):
        await deliver(broken, message, job_try=1, outbox=RecordingOutbox())
    await broken_engine.dispose()
    outcome = await deliver(rig.deps(), message, job_try=2, outbox=RecordingOutbox())
    again = await deliver(rig.deps(), message, job_try=3, outbox=RecordingOutbox())

    assert (outcome, again) == (DEAD_LETTERED, ALREADY_FILED)
    assert len(fake.calls_to("sendMessage")) == 1
    assert [letter.message.id for letter in await rig.deps().dead_letters.list_open()] == [
        message.id
    ]


async def test_a_reminder_outside_the_window_falls_back_to_telegram(
    rig: WorkerRig,
    new_message: NewMessage,
    whatsapp: tuple[FakeWhatsApp, ChannelSender],
) -> None:
    state, sender = whatsapp
    state.fail_next("131047")
    rig.senders[Channel.WHATSAPP] = sender
    reminder = new_message(
        "Анна, завтра в 19:00 Contemporary",
        channel=Channel.WHATSAPP,
        chat_id=CLIENT_WA,
        template=TemplateCall(name="lesson_reminder_24h", params=("Анна", "19:00", "Contemporary")),
        fallback_channel=Channel.TELEGRAM,
        fallback_chat_id=CHAT,
    )
    outbox = RecordingOutbox()

    outcome = await deliver(rig.deps(), reminder, job_try=1, outbox=outbox)

    assert outcome == FELL_BACK
    [fallback] = outbox.put_messages
    assert (fallback.channel, fallback.chat_id, fallback.text) == (
        Channel.TELEGRAM,
        CHAT,
        reminder.text,
    )
    assert fallback.template is None and fallback.id == f"{reminder.id}-fallback"
    assert await rig.deps().dead_letters.open_count() == 0


async def test_a_reply_outside_the_window_is_a_dead_letter(
    rig: WorkerRig,
    new_message: NewMessage,
    whatsapp: tuple[FakeWhatsApp, ChannelSender],
) -> None:
    state, sender = whatsapp
    state.fail_next("131047")
    rig.senders[Channel.WHATSAPP] = sender
    reply = new_message("Есть места в четверг", channel=Channel.WHATSAPP, chat_id=CLIENT_WA)

    outcome = await deliver(rig.deps(), reply, job_try=1, outbox=RecordingOutbox())

    assert outcome == DEAD_LETTERED
    [letter] = await rig.deps().dead_letters.list_open()
    assert letter.error.startswith("outside_window: OutsideWindow")
    assert state.sent == []


async def test_a_channel_without_a_sender_is_a_dead_letter(
    rig: WorkerRig, new_message: NewMessage
) -> None:
    message = new_message(channel=Channel.WHATSAPP, chat_id=CLIENT_WA)

    outcome = await deliver(rig.deps(), message, job_try=1, outbox=RecordingOutbox())

    assert outcome == DEAD_LETTERED
    [letter] = await rig.deps().dead_letters.list_open()
    assert letter.error == "no_sender: channel whatsapp is not configured"
    assert letter.attempts == 0


async def test_the_last_allowed_run_gives_up_instead_of_retrying(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram
    fake.fail_next("500", method="sendMessage")
    message = new_message()
    deps = rig.deps()

    with pytest.raises(Retry):
        await deliver(deps, message, job_try=1, outbox=RecordingOutbox())
    fake.fail_next("429", retry_after=1, method="sendMessage")
    outcome = await deliver(
        deps, message, job_try=deps.policy.max_job_tries, outbox=RecordingOutbox()
    )

    assert outcome == DEAD_LETTERED
    [letter] = await deps.dead_letters.list_open()
    assert letter.error.startswith("too_many_tries")
    assert letter.attempts == 1  # one counted failure (the 500); the 429 is not one
    assert await DeliveryLedger(rig.redis, keys=rig.keys).was_sent(message.id) is False


async def test_a_redis_failure_around_the_send_retries_the_job_later(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram
    unreachable = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    deps = dataclasses.replace(rig.deps(), redis=unreachable)
    ctx = {DEPS: deps, OUTBOX: RecordingOutbox(), "job_try": 1}
    payload = new_message().model_dump_json()

    with pytest.raises(Retry) as retry:
        await send_outbound(ctx, payload)
    with pytest.raises(RedisError):  # the last allowed run: lost, said loudly
        await send_outbound(ctx | {"job_try": deps.policy.max_job_tries}, payload)
    await unreachable.aclose()

    assert retry.value.defer_score == int(deps.policy.error_wait * 1000)
    assert fake.calls_to("sendMessage") == []


class _RedisGoesAwayAfterTheSend:
    """The real Telegram sender; once Telegram has the message, the network to Redis fails
    (the moment a Redis restart hit in the chaos run)."""

    def __init__(self, sender: ChannelSender, proxy: TcpProxy) -> None:
        self._sender, self._proxy = sender, proxy

    async def send(self, message: OutboundMessage) -> Delivery:
        delivery = await self._sender.send(message)
        self._proxy.break_connections()
        return delivery

    async def close(self) -> None:
        await self._sender.close()


async def test_a_send_redis_could_not_record_is_not_sent_again(
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
    telegram_sender: ChannelSender,
) -> None:
    fake, _ = telegram
    message = new_message()
    payload = message.model_dump_json()
    async with tcp_proxy(REDIS_URL) as proxy:
        database = REDIS_URL.rsplit("/", 1)[1]
        behind = aioredis.from_url(proxy.url.replace("http://", "redis://") + f"/{database}")
        rig.senders = {Channel.TELEGRAM: _RedisGoesAwayAfterTheSend(telegram_sender, proxy)}
        deps = rig.deps(redis=behind)
        ctx = {DEPS: deps, OUTBOX: RecordingOutbox(), "job_try": 1}

        with pytest.raises(Retry):  # the claim cannot be released: the job runs again
            await send_outbound(ctx, payload)
        assert len(fake.calls_to("sendMessage")) == 1
        with pytest.raises(Retry):  # Redis still away: tried later, and nothing sent now
            await send_outbound(ctx | {"job_try": 2}, payload)

        proxy.cut = False  # Redis is back
        assert await send_outbound(ctx | {"job_try": 3}, payload) == ALREADY_SENT
        await behind.aclose()

    assert len(fake.calls_to("sendMessage")) == 1
    assert await DeliveryLedger(rig.redis, keys=rig.keys).was_sent(message.id) is True


async def test_a_send_is_recorded_once_redis_is_back_so_a_killed_worker_cannot_repeat_it(
    rig: WorkerRig,
    new_message: NewMessage,
    telegram: tuple[FakeTelegram, str],
    telegram_sender: ChannelSender,
) -> None:
    """The chaos run's eight repeated receipts: Redis restarted right after Telegram took
    them, the worker kept them in memory only (D77), was killed seconds later, and arq ran
    the jobs again. The run now records the send as soon as Redis answers again."""
    fake, _ = telegram
    message = new_message()
    async with tcp_proxy(REDIS_URL) as proxy:
        proxy.resume_after = 2  # two connections refused, then Redis is back
        database = REDIS_URL.rsplit("/", 1)[1]
        behind = aioredis.from_url(proxy.url.replace("http://", "redis://") + f"/{database}")
        rig.senders = {Channel.TELEGRAM: _RedisGoesAwayAfterTheSend(telegram_sender, proxy)}
        rig.policy = dataclasses.replace(FAST, record_wait=30.0)
        ctx = {DEPS: rig.deps(redis=behind), OUTBOX: RecordingOutbox(), "job_try": 1}

        outcome = await send_outbound(ctx, message.model_dump_json())
        await behind.aclose()
    # another worker process (nothing in memory) runs the job again
    ctx = {DEPS: rig.deps(), OUTBOX: RecordingOutbox(), "job_try": 2}
    again = await send_outbound(ctx, message.model_dump_json())

    assert (outcome, again) == (SENT, ALREADY_SENT)
    assert proxy.refused >= 2
    assert len(fake.calls_to("sendMessage")) == 1


async def test_a_payload_that_is_not_a_message_is_dropped_not_retried(rig: WorkerRig) -> None:
    ctx = {DEPS: rig.deps(), OUTBOX: RecordingOutbox(), "job_try": 1, "job_id": "out:x"}

    assert await send_outbound(ctx, '{"channel": "pigeon"}') == INVALID


async def _a_worker_died_sending(rig: WorkerRig, message: OutboundMessage) -> None:
    """What a worker SIGKILLed during the HTTP call leaves: the send numbered and started,
    no outcome recorded, the claim expired (D84)."""
    await DeliveryLedger(rig.redis, keys=rig.keys).start_attempt(message)


async def test_a_send_cut_off_by_a_dead_worker_is_not_repeated_after_a_later_message(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    """The chaos run's duplicate: "Записываю…" was on its way when the worker died, the client
    answered it, got "Готово", and 75 s later arq ran the first job again."""
    fake, _ = telegram
    summary, receipt = new_message("Записываю: Мария…"), new_message("Готово, вы записаны ✅")
    await _a_worker_died_sending(rig, summary)

    later = await deliver(rig.deps(), receipt, job_try=1, outbox=RecordingOutbox())
    again = await deliver(rig.deps(), summary, job_try=2, outbox=RecordingOutbox())
    once_more = await deliver(rig.deps(), summary, job_try=3, outbox=RecordingOutbox())

    assert (later, again, once_more) == (SENT, SUPERSEDED, ALREADY_SENT)
    assert [c.params["text"] for c in fake.calls_to("sendMessage")] == ["Готово, вы записаны ✅"]


async def test_a_send_cut_off_by_a_dead_worker_is_sent_again_while_nothing_came_after(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    """Without a later message the outcome stays unknown: at least once (D14)."""
    fake, _ = telegram
    receipt = new_message("Готово, вы записаны ✅")
    other_chat = new_message("Привет", chat_id=f"{CHAT}0")
    await _a_worker_died_sending(rig, receipt)

    assert await deliver(rig.deps(), other_chat, job_try=1, outbox=RecordingOutbox()) == SENT
    assert await deliver(rig.deps(), receipt, job_try=2, outbox=RecordingOutbox()) == SENT
    assert sorted(c.params["text"] for c in fake.calls_to("sendMessage")) == [
        "Готово, вы записаны ✅",
        "Привет",
    ]


async def test_a_failure_the_channel_reported_is_retried_even_after_a_later_message(
    rig: WorkerRig, new_message: NewMessage, telegram: tuple[FakeTelegram, str]
) -> None:
    """A reported failure is a known outcome (not taken): the message is still owed."""
    fake, _ = telegram
    fake.fail_next("500", method="sendMessage")
    first, second = new_message("Первое"), new_message("Второе")

    with pytest.raises(Retry):
        await deliver(rig.deps(), first, job_try=1, outbox=RecordingOutbox())
    assert await deliver(rig.deps(), second, job_try=1, outbox=RecordingOutbox()) == SENT
    assert await deliver(rig.deps(), first, job_try=2, outbox=RecordingOutbox()) == SENT
    # the first call was answered 500; then the later message, then the owed one
    assert [c.params["text"] for c in fake.calls_to("sendMessage")] == [
        "Первое",
        "Второе",
        "Первое",
    ]


async def test_sends_finishing_out_of_order_keep_the_chat_at_its_latest(
    rig: WorkerRig, new_message: NewMessage
) -> None:
    """Two sends of one chat under way at once: the earlier-numbered one finishing last
    does not move the chat back, so a dead send numbered between them stays superseded."""
    ledger = DeliveryLedger(rig.redis, keys=rig.keys)
    early, dead, late = new_message("1"), new_message("2"), new_message("3")
    n_early = await ledger.start_attempt(early)
    await ledger.start_attempt(dead)
    n_late = await ledger.start_attempt(late)
    await ledger.mark_sent(late, channel_message_id="3", attempt=n_late)
    await ledger.mark_sent(early, channel_message_id="1", attempt=n_early)

    assert (await ledger.before_send(dead)).superseded is True
    assert (await ledger.before_send(early)).superseded is False  # it was taken: no attempt
