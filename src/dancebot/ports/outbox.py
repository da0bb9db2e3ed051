"""The outbox: where the engine puts what it says. Channels deliver it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dancebot.domain.messages import Channel, OutboundMessage


class Outbox(Protocol):
    async def put(self, message: OutboundMessage) -> None:
        """Queue one message for delivery. Must not lose it once this returns."""
        ...


class AdminNotifier(Protocol):
    async def notify_admin(self, text: str, *, trace_id: str | None = None) -> None:
        """Tell the studio's admin chat something (escalations, alerts)."""
        ...


@dataclass(frozen=True, slots=True)
class ClientRef:
    """One client's chat: what a case in the admin chat is about."""

    channel: Channel
    chat_id: str

    @property
    def key(self) -> str:
        return f"{self.channel.value}:{self.chat_id}"

    @classmethod
    def parse(cls, key: str) -> ClientRef | None:
        """``telegram:123`` → the ref; None for anything else."""
        channel, _, chat_id = key.partition(":")
        if not chat_id or channel not in {c.value for c in Channel}:
            return None
        return cls(Channel(channel), chat_id)


class AdminDesk(Protocol):
    """Where the admin meets one client's case: the admin chat with ``/reply`` (the default),
    or one forum topic per client (``ADMIN_TOPICS=true``). Never raises for a channel
    problem: what cannot go to a topic goes to the admin chat."""

    async def open_case(
        self, client: ClientRef, *, title: str, card: str, trace_id: str | None = None
    ) -> None:
        """Show the admin a client's card (a handoff, a question for the admin)."""
        ...

    async def client_wrote(
        self, client: ClientRef, *, who: str, text: str, trace_id: str | None = None
    ) -> None:
        """Relay what the client wrote while the admin has the conversation."""
        ...

    async def tell(
        self, client: ClientRef | None, text: str, *, reply_to_callback: str | None = None
    ) -> None:
        """A note to the admin about ``client`` (in its topic when there is one)."""
        ...

    async def client_in(self, thread_id: int) -> ClientRef | None:
        """The client whose topic this is; None outside topic mode or for another topic."""
        ...
