"""One outbound attempt: what to do after it (``decide``, pure) and the Redis ledger that makes a
message go out once (``DeliveryLedger``).

Retries (contract §9, RFC §18.2): a channel that is down (``ChannelUnavailable``: 5xx, timeout,
no connection) is tried again after 0 s, 5 s and 30 s; the 4th failure gives up. A refusal
(``ChannelRejected``) gives up at once: sending the same thing again would be refused again.
``OutsideWindow`` (WhatsApp's 24 h window is closed) gives up at once too: the engine decides
ahead of time which messages are templates, so a free-text message refused for the window is a
reply that came too late. Giving up means the message's fallback channel when it has one (a
WhatsApp reminder → the client's Telegram), the dead-letter table otherwise.

A channel's "too many requests" (``ChannelRateLimited``) is **not** counted as an attempt: the
channel did not take the message and said when to come back, which is no sign that the message
cannot be delivered. The wait is the channel's ``retry_after`` (at least 1 s). Endless deferrals
are bounded by ``RetryPolicy.max_job_tries`` (every run of the job, whatever the reason).

Exactly once, as far as it can be had. Before every attempt the job checks
``outbound_sent:{id}``, written right after the channel accepted the message (kept 7 days): a job
run again after a send that succeeded sends nothing. While one worker is sending, it holds
``outbound_sending:{id}`` (SET NX with an owner token and a TTL above the send timeout), so two
workers never send the same message at the same moment. What is left: a process killed after
the channel accepted the message and before the marker is written (a few milliseconds), or a
send that timed out on our side although the channel delivered it, is tried again and the
client sees the message twice. Neither Telegram's Bot API nor Meta's Cloud API takes an
idempotency key, so no client can close that window; it is the price of never losing a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from dancebot.adapters.storage import owned_key
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.messages import OutboundMessage
from dancebot.ports.channels import (
    ChannelError,
    ChannelRateLimited,
    ChannelRejected,
    OutsideWindow,
)

SENT_MARKER_TTL_SECONDS = 7 * 24 * 3600
STATE_TTL_SECONDS = 7 * 24 * 3600

# why a message was given up (the dead-letter row's error starts with it)
REJECTED = "rejected"
OUTSIDE_WINDOW = "outside_window"
UNAVAILABLE = "unavailable"
TOO_MANY_TRIES = "too_many_tries"
NO_SENDER = "no_sender"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The retry schedule and its bounds. ``delays[i]`` is the wait after the (i+1)-th failed
    attempt; one more failure than there are delays gives up. Tests shrink the delays."""

    delays: tuple[float, ...] = (0.0, 5.0, 30.0)
    rate_limited_min_wait: float = 1.0  # a channel's 429 is never retried sooner than this
    rate_limited_default_wait: float = 5.0  # a 429 that did not say how long
    send_timeout: float = 30.0  # one HTTP send, end to end; the claim outlives it
    busy_wait: float = 1.0  # another worker holds the message's claim
    # the channel's own rate window frees within this: the job waits for it (a burst leaves
    # at the limit's pace) instead of being deferred and found again only on a later poll
    pace_wait: float = 1.0
    error_wait: float = 30.0  # Redis or the database failed around the send
    # after a send, how long the run keeps trying to record it while Redis is away (a
    # restart): a record this run makes survives the worker; its memory of the send does not
    record_wait: float = 15.0
    max_job_tries: int = 500  # runs of one job, deferrals included; the last one gives up

    def __post_init__(self) -> None:
        if any(d < 0 for d in self.delays) or self.send_timeout <= 0 or self.max_job_tries < 2:
            raise ValueError("retry delays must be >= 0, send_timeout > 0, max_job_tries >= 2")

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    @property
    def claim_ttl(self) -> float:
        """Longer than a send and its recording can take, so a claim never lapses under a
        running send."""
        return self.send_timeout + self.record_wait + 5.0


@dataclass(frozen=True, slots=True)
class RetryIn:
    """Try again after ``seconds``; ``counted``: this attempt counts against the schedule."""

    seconds: float
    counted: bool


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop trying: fall back to the other channel, or file a dead letter."""

    reason: str  # REJECTED | OUTSIDE_WINDOW | UNAVAILABLE | TOO_MANY_TRIES | NO_SENDER
    detail: str
    attempts: int

    @property
    def error(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


Decision = RetryIn | GiveUp


def decide(error: ChannelError, *, failures_before: int, policy: RetryPolicy) -> Decision:
    """What to do after an attempt that raised ``error``, given how many counted attempts had
    already failed before it."""
    attempt = failures_before + 1
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, ChannelRateLimited):
        wait = policy.rate_limited_default_wait if error.retry_after is None else error.retry_after
        return RetryIn(max(wait, policy.rate_limited_min_wait), counted=False)
    if isinstance(error, OutsideWindow):
        return GiveUp(OUTSIDE_WINDOW, detail, attempt)
    if isinstance(error, ChannelRejected):
        return GiveUp(REJECTED, detail, attempt)
    # ChannelUnavailable, and any other ChannelError a sender may invent
    if attempt >= policy.max_attempts:
        return GiveUp(UNAVAILABLE, detail, attempt)
    return RetryIn(policy.delays[attempt - 1], counted=True)


# KEYS: the chat's hash, the message's state hash; ARGV: the TTL. The send's number in the
# chat, kept on the message until its outcome is known.
_ATTEMPT = """
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'attempt', seq)
redis.call('EXPIRE', KEYS[2], ARGV[1])
return seq
"""

# KEYS: the sent marker, the chat's hash, the message's state hash; ARGV: the channel's
# message id, the marker's TTL, the send's number in the chat ('' when not known), the
# chat's TTL. The chat's ``sent`` only grows: sends of one chat may finish out of order.
_SENT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HDEL', KEYS[3], 'attempt')
local seq = tonumber(ARGV[3])
if seq then
  if seq > (tonumber(redis.call('HGET', KEYS[2], 'sent')) or 0) then
    redis.call('HSET', KEYS[2], 'sent', seq)
  end
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class BeforeSend:
    """What a run reads before it sends: counted failures so far, and whether an earlier
    run started sending this message, never reported how it went, and the chat has had a
    later message since (then sending it now would repeat it, out of order)."""

    failures: int
    superseded: bool


class DeliveryLedger:
    """Per-message delivery state in Redis: the sent marker, the sending claim, the count of
    failed attempts, the send under way and, once given up, why; per chat, the order sends
    started and were taken in. Every method raises ``redis.RedisError`` when Redis fails."""

    def __init__(self, redis: Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._attempt = redis.register_script(_ATTEMPT)
        self._sent = redis.register_script(_SENT)

    async def before_send(self, message: OutboundMessage) -> BeforeSend:
        """Read under the message's claim, right before an attempt (one round trip)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self._keys.outbound_state(message.id), ["failures", "attempt"])
            pipe.hget(self._keys.outbound_chat(message.channel.value, message.chat_id), "sent")
            (failures, attempt), chat_sent = await pipe.execute()
        superseded = attempt is not None and chat_sent is not None and int(chat_sent) > int(attempt)
        return BeforeSend(failures=int(failures or 0), superseded=superseded)

    async def start_attempt(self, message: OutboundMessage) -> int:
        """Number the send about to start in its chat and keep the number on the message
        until ``mark_sent`` or ``end_attempt``: if the worker dies in between, the number
        stays, and the next run knows the outcome was never seen."""
        keys = [
            self._keys.outbound_chat(message.channel.value, message.chat_id),
            self._keys.outbound_state(message.id),
        ]
        return int(await self._attempt(keys, [STATE_TTL_SECONDS]))

    async def end_attempt(self, message_id: str) -> None:
        """The attempt's outcome is known and it was not taken (a failure was reported)."""
        await self._redis.hdel(self._keys.outbound_state(message_id), "attempt")  # type: ignore[misc]

    async def was_sent(self, message_id: str) -> bool:
        return bool(await self._redis.exists(self._keys.outbound_sent(message_id)))

    async def mark_sent(
        self,
        message: OutboundMessage,
        *,
        channel_message_id: str | None,
        attempt: int | None = None,
    ) -> None:
        """The channel took ``message`` (its send numbered ``attempt`` in the chat, when
        known); a later run sends nothing."""
        keys = [
            self._keys.outbound_sent(message.id),
            self._keys.outbound_chat(message.channel.value, message.chat_id),
            self._keys.outbound_state(message.id),
        ]
        args: list[str | int] = [
            channel_message_id or "-",
            SENT_MARKER_TTL_SECONDS,
            "" if attempt is None else attempt,
            STATE_TTL_SECONDS,
        ]
        await self._sent(keys, args)

    async def claim(self, message_id: str, *, ttl_seconds: float) -> str | None:
        """The claim's owner token, or None when another worker is sending it now."""
        return await owned_key.take(
            self._redis, self._keys.outbound_claim(message_id), ttl_seconds=ttl_seconds
        )

    async def release(self, message_id: str, token: str) -> None:
        await owned_key.give_up(self._redis, self._keys.outbound_claim(message_id), token)

    async def failures(self, message_id: str) -> int:
        raw = await self._redis.hget(self._keys.outbound_state(message_id), "failures")  # type: ignore[misc]
        return int(raw) if raw is not None else 0

    async def add_failure(self, message_id: str) -> int:
        key = self._keys.outbound_state(message_id)
        count = await self._redis.hincrby(key, "failures", 1)  # type: ignore[misc]
        await self._redis.expire(key, STATE_TTL_SECONDS)
        return int(count)

    async def record_give_up(self, message_id: str, give_up: GiveUp) -> None:
        """Remember the decision first, so a job run again after a failed dead-letter write
        files it without sending again."""
        key = self._keys.outbound_state(message_id)
        mapping = {"reason": give_up.reason, "detail": give_up.detail, "attempts": give_up.attempts}
        await self._redis.hset(key, mapping=mapping)  # type: ignore[misc]
        await self._redis.expire(key, STATE_TTL_SECONDS)

    async def given_up(self, message_id: str) -> tuple[GiveUp, bool] | None:
        """The recorded give-up and whether it was already filed (fallback or dead letter)."""
        state = await self._redis.hgetall(self._keys.outbound_state(message_id))  # type: ignore[misc]
        fields = {_text(k): _text(v) for k, v in state.items()}
        if "reason" not in fields:
            return None
        give_up = GiveUp(fields["reason"], fields.get("detail", ""), int(fields["attempts"]))
        return give_up, fields.get("filed") == "1"

    async def mark_filed(self, message_id: str) -> None:
        await self._redis.hset(self._keys.outbound_state(message_id), "filed", "1")  # type: ignore[misc]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
