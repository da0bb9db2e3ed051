"""Reminders in Redis: a sorted set of due times, one member per booking and kind.

It is due work like the FSM timeouts: the worker runs it every few seconds (and ``dancebot
eval`` at each due instant of virtual time). At send time the booking is looked up in the
CRM: a cancelled or moved booking sends nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from dancebot.adapters.metrics import REMINDERS_LATE, REMINDERS_SENT
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.dialogue.reminders import (
    ReminderKind,
    due_times,
    needs_template,
    reminder_template,
    reminder_text,
)
from dancebot.domain.errors import CrmError
from dancebot.domain.messages import Channel, OutboundMessage, new_trace_id
from dancebot.domain.privacy import mask_phone
from dancebot.ports.channels import ReminderRequest
from dancebot.ports.clock import Clock
from dancebot.ports.crm import CRM
from dancebot.ports.outbox import AdminNotifier, Outbox

log = structlog.get_logger(__name__)

LATE_AFTER_SECONDS = 300  # the contract allows ±5 min
CONTACT_TTL_SECONDS = 90 * 24 * 3600


class RedisContacts:
    """Which chats a client's phone is known on (channel → chat id), to reach them elsewhere."""

    def __init__(self, redis: Redis, *, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def remember(self, phone: str, channel: Channel, chat_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            if self.queue_remember(pipe, phone, channel, chat_id):
                await pipe.execute()

    def queue_remember(self, pipe: Pipeline, phone: str, channel: Channel, chat_id: str) -> bool:
        """Add ``remember``'s writes to ``pipe`` (one round trip with the caller's own);
        False when there is nothing to remember (a channel with no chat to reach)."""
        if channel not in (Channel.TELEGRAM, Channel.WHATSAPP):
            return False
        key = self._keys.contact_channels(phone)
        pipe.hset(key, channel.value, chat_id)
        pipe.expire(key, CONTACT_TTL_SECONDS)
        return True

    async def chat_on(self, phone: str, channel: Channel) -> str | None:
        raw = await self._redis.hget(self._keys.contact_channels(phone), channel.value)
        return raw.decode() if isinstance(raw, bytes) else raw


class RedisReminders:
    """``ReminderScheduler`` port + due work."""

    def __init__(
        self,
        redis: Redis,
        *,
        keys: RedisKeys,
        clock: Clock,
        crm: CRM,
        outbox: Outbox,
        admin: AdminNotifier,
        contacts: RedisContacts,
        address: str,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._clock = clock
        self._crm = crm
        self._outbox = outbox
        self._admin = admin
        self._contacts = contacts
        self._address = address

    async def schedule_for(self, *, booking_id: int, reminder: ReminderRequest) -> None:
        start = datetime.fromisoformat(reminder.lesson_start_iso)
        due = due_times(start, now=self._clock.now())
        # one round trip, all or nothing: the booking's details, its due times, the contact
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.reminder(booking_id), json.dumps(asdict(reminder)))
            if due:
                pipe.zadd(
                    self._keys.reminders_due(),
                    {f"{booking_id}:{kind.value}": at.timestamp() for kind, at in due.items()},
                )
            self._contacts.queue_remember(
                pipe, reminder.client_phone, reminder.channel, reminder.chat_id
            )
            await pipe.execute()
        log.info("reminders_scheduled", booking_id=booking_id, kinds=[k.value for k in due])

    async def cancel_for(self, booking_id: int) -> None:
        members = [f"{booking_id}:{kind.value}" for kind in ReminderKind]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._keys.reminders_due(), *members)
            pipe.delete(self._keys.reminder(booking_id))
            await pipe.execute()

    async def next_due_at(self) -> datetime | None:
        first = await self._redis.zrange(self._keys.reminders_due(), 0, 0, withscores=True)
        return datetime.fromtimestamp(first[0][1], UTC) if first else None

    async def run_due(self, now: datetime) -> int:
        due = await self._redis.zrangebyscore(
            self._keys.reminders_due(), "-inf", now.timestamp(), withscores=True
        )
        sent = 0
        for raw, due_at in due:
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            # remove first: of two workers only the one that removed it sends
            if not await self._redis.zrem(self._keys.reminders_due(), member):
                continue
            booking_id, kind = member.split(":")
            queued = await self._send(int(booking_id), ReminderKind(kind))
            if queued:
                REMINDERS_SENT.labels(kind).inc()
                if now.timestamp() - float(due_at) > LATE_AFTER_SECONDS:
                    REMINDERS_LATE.labels(kind).inc()
                    log.warning("reminder_late", booking_id=booking_id, kind=kind)
            sent += queued
        return sent

    async def _send(self, booking_id: int, kind: ReminderKind) -> int:
        raw = await self._redis.get(self._keys.reminder(booking_id))
        if raw is None:
            return 0
        data = json.loads(raw)
        request = ReminderRequest(**{**data, "channel": Channel(data["channel"])})
        start = datetime.fromisoformat(request.lesson_start_iso)
        if not await self._still_booked(booking_id, request, start):
            log.info("reminder_skipped_booking_gone", booking_id=booking_id, kind=kind.value)
            await self.cancel_for(booking_id)
            return 0
        text = reminder_text(
            kind,
            name=request.client_name,
            lesson_title=request.lesson_title,
            start=start,
            address=self._address,
        )
        template = None
        fallback = None
        if needs_template(request.channel):
            template = reminder_template(
                kind, name=request.client_name, lesson_title=request.lesson_title, start=start
            )
            fallback = await self._contacts.chat_on(request.client_phone, Channel.TELEGRAM)
        await self._outbox.put(
            OutboundMessage(
                channel=request.channel,
                chat_id=request.chat_id,
                text=text,
                template=template,
                trace_id=new_trace_id(),
                fallback_channel=Channel.TELEGRAM if fallback else None,
                fallback_chat_id=fallback,
            )
        )
        log.info(
            "reminder_queued",
            booking_id=booking_id,
            kind=kind.value,
            channel=request.channel.value,
            phone=mask_phone(request.client_phone),
        )
        return 1

    async def _still_booked(
        self, booking_id: int, request: ReminderRequest, start: datetime
    ) -> bool:
        """The CRM is the truth: a booking cancelled or moved outside the bot sends nothing.
        When the CRM cannot be asked, the reminder goes anyway (a reminder too many is
        better than a client who forgot) and the admin is not bothered."""
        try:
            bookings = await self._crm.list_bookings(
                client_id=request.client_id, date_from=start.date()
            )
        except CrmError as exc:
            log.warning("reminder_crm_unavailable", booking_id=booking_id, error=type(exc).__name__)
            return True
        return any(
            b.id == booking_id and b.schedule_id == request.schedule_id and b.date == start.date()
            for b in bookings
        )
