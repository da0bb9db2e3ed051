"""The worker's delivery job: ``send_outbound(ctx, payload)`` sends one queued message.

One run: already sent → nothing; given up before → file it (again); someone else sending it →
come back in a second; rate-limited here → come back when the window allows (not an attempt);
an earlier run died while sending it and the chat has had a later message since → record it
as sent and send nothing (D84); otherwise send, and after a failure let ``delivery.decide``
choose between another try on the 0/5/30 s schedule (arq ``Retry``) and giving up, which means
the message's fallback channel or a dead-letter row. See ``delivery`` for what "once" means here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import structlog
from arq.worker import Retry
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dancebot.adapters.metrics import (
    OUTBOUND_GIVEN_UP,
    OUTBOUND_RETRIES,
    OUTBOUND_SEND_SECONDS,
    OUTBOUND_SENT,
)
from dancebot.adapters.queue.dead_letters import DeadLetterAlarm, DeadLetters
from dancebot.adapters.queue.delivery import (
    NO_SENDER,
    TOO_MANY_TRIES,
    DeliveryLedger,
    GiveUp,
    RetryIn,
    RetryPolicy,
    decide,
)
from dancebot.adapters.queue.rate_limit import ChannelRateLimits
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import Channel, OutboundMessage
from dancebot.ports.channels import ChannelError, ChannelSender, ChannelUnavailable
from dancebot.ports.clock import Clock
from dancebot.ports.outbox import AdminNotifier, Outbox

log = structlog.get_logger(__name__)

_UNMARKED_KEPT = 10_000  # sent-but-unrecorded ids kept per process (oldest dropped)

DEPS = "dancebot_deps"  # ctx keys set by the worker's on_startup
OUTBOX = "dancebot_outbox"

# outcomes (the job's result)
SENT = "sent"
ALREADY_SENT = "already_sent"
FELL_BACK = "fell_back"
DEAD_LETTERED = "dead_lettered"
ALREADY_FILED = "already_filed"
INVALID = "invalid"
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class WorkerDeps:
    """What the delivery job runs on; built once per worker process (see ``create``)."""

    senders: Mapping[Channel, ChannelSender]
    redis: Redis
    keys: RedisKeys
    dead_letters: DeadLetters
    rate_limits: ChannelRateLimits
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # sent by this process while Redis could not record it (id → the channel's message id):
    # a run of the same job again (Redis came back, arq retries) records it and sends nothing
    unmarked: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        *,
        senders: Mapping[Channel, ChannelSender],
        redis: Redis,
        keys: RedisKeys,
        sessionmaker: async_sessionmaker[AsyncSession],
        admin: AdminNotifier,
        clock: Clock,
        policy: RetryPolicy | None = None,
        rate_limits: ChannelRateLimits | None = None,
    ) -> WorkerDeps:
        """The usual wiring: dead letters in ``sessionmaker``'s database with the admin alarm,
        rate limits in ``redis``."""
        alarm = DeadLetterAlarm(redis, keys=keys, admin=admin)
        return cls(
            senders=senders,
            redis=redis,
            keys=keys,
            dead_letters=DeadLetters(sessionmaker, clock=clock, alarm=alarm),
            rate_limits=rate_limits or ChannelRateLimits.on_redis(redis, keys=keys),
            policy=policy or RetryPolicy(),
        )

    @cached_property
    def ledger(self) -> DeliveryLedger:
        """Built once per process's deps: it registers the ledger's scripts."""
        return DeliveryLedger(self.redis, keys=self.keys)


async def send_outbound(ctx: dict[str, Any], payload: str) -> str:
    """The arq job. Returns an outcome (``SENT``, ``ALREADY_SENT``, ``SUPERSEDED``,
    ``FELL_BACK``, ``DEAD_LETTERED``, ``ALREADY_FILED``, ``INVALID``); raises ``Retry`` to
    run again later. A failure of Redis or the database is retried after
    ``policy.error_wait``; on the job's last allowed run it is logged as ``outbound_lost``
    and raised."""
    deps: WorkerDeps = ctx[DEPS]
    outbox: Outbox = ctx[OUTBOX]
    try:
        message = OutboundMessage.model_validate_json(payload)
    except ValidationError as exc:  # a bug upstream; no retry can fix it, nothing to file
        log.error("outbound_payload_invalid", errors=exc.error_count(), job_id=ctx.get("job_id"))
        return INVALID
    job_try = int(ctx.get("job_try", 1))
    try:
        return await deliver(deps, message, job_try=job_try, outbox=outbox)
    except Retry:
        raise
    except Exception as exc:
        fields = _fields(message) | {"error": f"{type(exc).__name__}: {exc}", "try": job_try}
        if job_try >= deps.policy.max_job_tries:
            log.critical("outbound_lost", **fields)
            raise
        log.exception("outbound_job_error", **fields)
        raise Retry(defer=deps.policy.error_wait) from exc


async def deliver(
    deps: WorkerDeps, message: OutboundMessage, *, job_try: int, outbox: Outbox
) -> str:
    """One run of the job for ``message`` (``job_try``: arq's count of runs, from 1)."""
    ledger = deps.ledger
    if message.id in deps.unmarked:
        await _record_late(deps, message)
        return ALREADY_SENT
    if await ledger.was_sent(message.id):
        log.info("outbound_already_sent", **_fields(message))
        return ALREADY_SENT
    earlier = await ledger.given_up(message.id)
    if earlier is not None:
        give_up, filed = earlier
        return ALREADY_FILED if filed else await _file(deps, message, give_up, outbox=outbox)
    token = await ledger.claim(message.id, ttl_seconds=deps.policy.claim_ttl)
    if token is None:
        log.info("outbound_busy_elsewhere", **_fields(message))
        return await _retry(
            deps, message, RetryIn(deps.policy.busy_wait, counted=False), job_try, outbox
        )
    try:
        wait = await deps.rate_limits.acquire(message, wait_for_channel=deps.policy.pace_wait)
        if wait > 0:
            return await _retry(deps, message, RetryIn(wait, counted=False), job_try, outbox)
        return await _attempt(deps, message, job_try=job_try, outbox=outbox)
    finally:
        await ledger.release(message.id, token)


async def _attempt(
    deps: WorkerDeps, message: OutboundMessage, *, job_try: int, outbox: Outbox
) -> str:
    ledger = deps.ledger
    before = await ledger.before_send(message)
    if before.superseded:
        # an earlier run died sending it: the client may well have it, and the chat has
        # had a later message since, so sending it now could only repeat it out of order
        log.warning("outbound_superseded", **_fields(message))
        await ledger.mark_sent(message, channel_message_id=None)
        return SUPERSEDED
    failures = before.failures
    sender = deps.senders.get(message.channel)
    if sender is None:
        give_up = GiveUp(NO_SENDER, f"channel {message.channel.value} is not configured", failures)
        return await _give_up(deps, message, give_up, outbox=outbox)
    attempt = await ledger.start_attempt(message)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(deps.policy.send_timeout):
            delivery = await sender.send(message)
    except ChannelError as exc:
        error: ChannelError = exc
    except TimeoutError:
        error = ChannelUnavailable(f"no answer within {deps.policy.send_timeout:g} s")
    except Exception as exc:  # a sender bug: treated as a failed attempt, never as a lost message
        log.exception("outbound_sender_error", **_fields(message))
        error = ChannelUnavailable(f"{type(exc).__name__}: {exc}")
    else:
        _observe_send(message, started, "sent")
        await _mark_sent(deps, message, delivery.channel_message_id, attempt=attempt)
        return SENT
    _observe_send(message, started, type(error).__name__)
    await ledger.end_attempt(message.id)
    decision = decide(error, failures_before=failures, policy=deps.policy)
    log.warning(
        "outbound_attempt_failed",
        **_fields(message),
        error=f"{type(error).__name__}: {error}",
        attempt=failures + 1,
    )
    if isinstance(decision, GiveUp):
        return await _give_up(deps, message, decision, outbox=outbox)
    if decision.counted:
        await ledger.add_failure(message.id)
    return await _retry(deps, message, decision, job_try, outbox)


async def _mark_sent(
    deps: WorkerDeps, message: OutboundMessage, channel_message_id: str | None, *, attempt: int
) -> None:
    try:
        await _record_while_redis_returns(deps, message, channel_message_id, attempt=attempt)
    except Exception as exc:
        # The client has the message; a retry could only send it twice. This process keeps
        # it as sent and records it when the job runs again (``_record_late``).
        if len(deps.unmarked) >= _UNMARKED_KEPT:
            deps.unmarked.pop(next(iter(deps.unmarked)))
        deps.unmarked[message.id] = channel_message_id
        log.error(
            "outbound_sent_unmarked", **_fields(message), error=f"{type(exc).__name__}: {exc}"
        )
    OUTBOUND_SENT.labels(message.channel.value).inc()
    log.info("outbound_sent", **_fields(message), channel_message_id=channel_message_id)


async def _record_while_redis_returns(
    deps: WorkerDeps, message: OutboundMessage, channel_message_id: str | None, *, attempt: int
) -> None:
    """Record the send, trying again for up to ``policy.record_wait`` while Redis fails (a
    restart takes a second or two): until it is recorded, only this process knows the client
    has the message, and a worker killed meanwhile would send it again. Raises the last
    failure when Redis stays away."""
    give_up_at = time.monotonic() + deps.policy.record_wait
    pause = 0.1
    while True:
        try:
            await deps.ledger.mark_sent(
                message, channel_message_id=channel_message_id, attempt=attempt
            )
            return
        except (RedisError, OSError):
            if time.monotonic() + pause > give_up_at:
                raise
            log.warning("outbound_record_retry", **_fields(message), pause=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


async def _record_late(deps: WorkerDeps, message: OutboundMessage) -> None:
    """Record a send this process made while Redis was away. Raises while it still is: the
    job is tried again later, and still sends nothing."""
    channel_message_id = deps.unmarked[message.id]
    await deps.ledger.mark_sent(message, channel_message_id=channel_message_id)
    del deps.unmarked[message.id]
    log.info("outbound_sent_recorded_late", **_fields(message))


def _observe_send(message: OutboundMessage, started: float, outcome: str) -> None:
    seconds = time.perf_counter() - started
    OUTBOUND_SEND_SECONDS.labels(message.channel.value, outcome).observe(seconds)


async def _retry(
    deps: WorkerDeps, message: OutboundMessage, retry: RetryIn, job_try: int, outbox: Outbox
) -> str:
    """Raise arq's ``Retry``, unless this is the job's last allowed run: then give up."""
    if job_try >= deps.policy.max_job_tries:
        failures = await deps.ledger.failures(message.id)
        give_up = GiveUp(TOO_MANY_TRIES, f"{job_try} runs", failures)
        return await _give_up(deps, message, give_up, outbox=outbox)
    log.info("outbound_retry", **_fields(message), delay=retry.seconds, counted=retry.counted)
    OUTBOUND_RETRIES.labels(message.channel.value, str(retry.counted).lower()).inc()
    raise Retry(defer=retry.seconds)


async def _give_up(
    deps: WorkerDeps, message: OutboundMessage, give_up: GiveUp, *, outbox: Outbox
) -> str:
    await deps.ledger.record_give_up(message.id, give_up)
    return await _file(deps, message, give_up, outbox=outbox)


async def _file(
    deps: WorkerDeps, message: OutboundMessage, give_up: GiveUp, *, outbox: Outbox
) -> str:
    """The fallback channel when the message has one, the dead-letter table otherwise. Raises
    when that fails; the job then runs again later and files it without sending."""
    fallback = fallback_message(message)
    if fallback is not None:
        await outbox.put(fallback)
        outcome = FELL_BACK
        log.warning(
            "outbound_fell_back",
            **_fields(message),
            reason=give_up.error,
            to=fallback.channel.value,
        )
    else:
        await deps.dead_letters.add(message, error=give_up.error, attempts=give_up.attempts)
        outcome = DEAD_LETTERED
        log.warning("outbound_dead_lettered", **_fields(message), reason=give_up.error)
    await deps.ledger.mark_filed(message.id)
    OUTBOUND_GIVEN_UP.labels(message.channel.value, outcome).inc()
    return outcome


def fallback_message(message: OutboundMessage) -> OutboundMessage | None:
    """The same text to the message's fallback chat (no template: that is WhatsApp's), under an
    id derived from the original so a repeated fallback is queued once."""
    if message.fallback_channel is None or message.fallback_chat_id is None:
        return None
    return OutboundMessage(
        channel=message.fallback_channel,
        chat_id=message.fallback_chat_id,
        text=message.text,
        buttons=message.buttons,
        trace_id=message.trace_id,
        id=f"{message.id}-fallback",
    )


def _fields(message: OutboundMessage) -> dict[str, str | None]:
    # structlog's processor masks phones (a WhatsApp chat id is one)
    return {
        "message_id": message.id,
        "channel": message.channel.value,
        "chat_id": message.chat_id,
        "trace_id": message.trace_id,
    }
