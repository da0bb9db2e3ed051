"""Ports for state kept in Redis: sessions, client profiles, idempotency locks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel

from dancebot.domain.messages import Channel, UnifiedMessage
from dancebot.domain.session import Session


class SessionStore(Protocol):
    """Conversation sessions, one per (channel, chat_id), TTL 24 h."""

    async def load(self, channel: Channel, chat_id: str) -> Session | None: ...

    async def save(self, session: Session) -> None: ...

    async def delete(self, channel: Channel, chat_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DuePolicy:
    """When a stored session next needs the timeout sweeper, for the store's due index (D66).

    ``due_at`` gives that moment (None: nothing is due until the session changes). ``version``
    names the rule: an index built under another version is rebuilt at start-up, so it must
    be bumped whenever a change to the rule can make a session due earlier than before.
    """

    due_at: Callable[[Session], datetime | None]
    version: int


class SessionDueIndex(Protocol):
    """The sessions that have a timeout coming, by due time, kept by the session store
    atomically with every save and delete (D66). An entry may be stale (the session expired
    by its TTL, or no longer parses): whoever acts re-reads the session first."""

    async def first_due_at(self) -> datetime | None:
        """The earliest due time in the index; None when nothing is due."""
        ...

    async def due_chats(self, now: datetime, *, limit: int) -> list[tuple[Channel, str]]:
        """Up to ``limit`` chats (channel, chat id) due at or before ``now``, earliest first."""
        ...

    async def claim(self, channel: Channel, chat_id: str, *, ttl_seconds: float) -> str | None:
        """Take the chat for one sweep: a token while it is ours, None when another sweep
        holds it. The claim lapses after ``ttl_seconds`` if never released."""
        ...

    async def release(self, channel: Channel, chat_id: str, token: str) -> None: ...

    async def refresh(self, channel: Channel, chat_id: str) -> None:
        """Set the chat's entry from the session as stored now; drop it when the session is
        gone or has nothing due."""
        ...


class ClientProfile(BaseModel):
    """What the bot remembers of a returning client (TTL 90 d)."""

    name: str | None = None
    phone: str | None = None
    updated_at: datetime | None = None


class ProfileStore(Protocol):
    async def load_profile(self, channel: Channel, chat_id: str) -> ClientProfile | None: ...

    async def save_profile(
        self, channel: Channel, chat_id: str, profile: ClientProfile
    ) -> None: ...


class IdempotencyGuard(Protocol):
    """A booking fingerprint lock taken *before* the CRM call (contract §10, DESIGN §7)."""

    async def acquire(self, fingerprint: str, *, ttl_seconds: int) -> bool:
        """True when the lock was free and is now ours; False on a duplicate."""
        ...

    async def release(self, fingerprint: str) -> None:
        """Free the lock after a failure that created nothing, so a retry may proceed."""
        ...


class InboundDedup(Protocol):
    """Contract §8: ``SET NX seen:{channel}:{message_id} EX 300``."""

    async def first_seen(self, channel: Channel, dedup_key: str) -> bool:
        """True the first time a delivery (``UnifiedMessage.dedup_key``) is seen within the
        window; False for a duplicate."""
        ...


@dataclass(frozen=True, slots=True)
class Arrival:
    """The chat's lock is ours (``token``); handle ``first`` now, then ask ``next_or_leave``.

    ``first`` is the message that arrived, when the chat's queue was empty (it was never
    queued); else the oldest queued one, stranded by a holder whose lock lapsed (it died), and
    the message that arrived is queued behind the others."""

    token: str
    first: UnifiedMessage


class ChatGate(Protocol):
    """One chat is handled by one consumer at a time, in arrival order (RFC §7.2, CC-13).

    Whoever holds the chat's lock handles the chat's messages: the one it arrived with (or the
    oldest waiting), then the queue. A message that finds the lock held waits in the queue.
    """

    async def arrive(self, message: UnifiedMessage) -> Arrival | None:
        """Try to take ``message``'s chat. Taken: an ``Arrival`` — ``message`` itself when
        nothing waits (it is not queued), else the oldest waiting message with ``message``
        queued last. Held by another: None, ``message`` queued for the holder. Raises what
        the store raises."""
        ...

    async def next_or_leave(
        self, channel: Channel, chat_id: str, token: str
    ) -> UnifiedMessage | None:
        """The oldest queued message, our lock extended; or None, the queue empty and our lock
        released in the same step (a message queued after it finds the lock free)."""
        ...

    async def leave(self, channel: Channel, chat_id: str, token: str) -> None:
        """Release our lock (a turn that failed); a token that is not the owner's does
        nothing."""
        ...


class FallbackEntry(BaseModel):
    """A booking request that could not reach the CRM; it waits here until it is booked by
    the automatic retry or handled by the admin (``/done N``)."""

    id: int = 0
    created_at: datetime
    channel: Channel
    chat_id: str
    client_name: str
    client_phone: str
    attendee_name: str | None = None
    service_id: str | None = None
    schedule_id: int
    lesson_date: date
    lesson_label: str  # "Contemporary, начинающие — среда, 4 марта, 19:00–20:30"
    reason: str  # what failed: "CrmTimeout", "CircuitOpen", "booking stuck"...
    trace_id: str | None = None
    status: str = "pending"  # pending | booked | refused | done
    attempts: int = 0
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    crm_booking_id: int | None = None


class FallbackQueue(Protocol):
    async def add(self, entry: FallbackEntry) -> FallbackEntry:
        """Store durably (no TTL); returns the entry with its number."""
        ...

    async def pending(self) -> list[FallbackEntry]: ...

    async def get(self, entry_id: int) -> FallbackEntry | None: ...

    async def update(self, entry: FallbackEntry) -> None:
        """Save a changed entry; one that is no longer pending leaves the pending list."""
        ...

    async def lock_retry_pass(self, ttl_seconds: float) -> str | None:
        """One automatic retry pass at a time, across processes: a token while ours, None
        when another pass holds the lock."""
        ...

    async def unlock_retry_pass(self, token: str) -> None: ...

    async def claim(self, entry_id: int, ttl_seconds: float) -> tuple[str, FallbackEntry] | None:
        """Atomically: the entry as stored now, if it is still pending and nobody else holds
        it (a token to give back with ``release``); None otherwise."""
        ...

    async def release(self, entry_id: int, token: str) -> None: ...

    async def update_if_pending(self, entry: FallbackEntry) -> bool:
        """``update``, but only while the stored entry is still pending (atomically): False
        when another pass or the admin settled it meanwhile (nothing is written)."""
        ...
