"""What the fake Bot API remembers: every call, the messages "sent", pending updates for
getUpdates, the webhook, and failures programmed for the next calls."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

FailureKind = Literal["429", "500", "502", "403", "400", "401", "timeout", "hold"]
FAILURE_KINDS: tuple[str, ...] = ("429", "500", "502", "403", "400", "401", "timeout", "hold")

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForDanceBotTests"
BOT_USER: dict[str, Any] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Студия Татьяны",
    "username": "dance_studio_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request to the fake. ``path`` has the token replaced by ``***``; ``params`` are
    the parsed query/body (JSON-serialized fields such as ``reply_markup`` decoded, the
    webhook ``secret_token`` hidden); ``headers`` have no secrets."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    authorized: bool


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot sent (sendMessage answered ok)."""

    chat_id: str
    message_id: int
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, callback_data), row by row
    thread_id: int | None = None  # the forum topic it was posted in

    @property
    def payloads(self) -> tuple[str, ...]:
        return tuple(data for _, data in self.buttons)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(title for title, _ in self.buttons)


@dataclass(frozen=True, slots=True)
class Failure:
    """A programmed failure for the next matching call (``method`` None: any method)."""

    kind: FailureKind
    method: str | None = None
    retry_after: int = 3
    seconds: float = 5.0


@dataclass
class FakeTelegram:
    """The fake Bot API's state; tests read it and program failures on it.

    ``now`` gives Unix seconds for the ``date`` of sent messages. ``max_poll_wait`` caps how
    long getUpdates holds an empty answer, whatever ``timeout`` the client asked for.
    """

    token: str = field(default=DEFAULT_TOKEN, repr=False)
    dropped_calls: int = 0  # "hold" calls whose client went away before they were processed
    now: Callable[[], float] = time.time
    max_poll_wait: float = 0.5
    calls: list[RecordedCall] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    blocked_chats: set[str] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    pending_updates: list[dict[str, Any]] = field(default_factory=list)
    callback_answers: list[str] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (chat_id, action)
    # supergroups with topics enabled ("is_forum"), and their topics: thread id → name
    forum_chats: set[str] = field(default_factory=set)
    topics: dict[str, dict[int, str]] = field(default_factory=dict)
    pinned: list[tuple[str, int]] = field(default_factory=list)  # (chat_id, message_id)
    _failures: deque[Failure] = field(default_factory=deque)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(900_000_001))

    def fail_next(
        self,
        kind: FailureKind,
        *,
        times: int = 1,
        retry_after: int = 3,
        seconds: float = 5.0,
        method: str | None = None,
    ) -> None:
        """Make the next ``times`` calls (of ``method``, or of any method) fail: "429" (with
        ``retry_after``), "500"/"502", "403" (bot blocked by the user), "400" (chat not
        found), "401", "timeout" (answer normally, but only after ``seconds``), or "hold"
        (keep the request up to ``seconds`` and process it only if the client is still
        connected then — a sender killed mid-request delivers nothing)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; one of {FAILURE_KINDS}")
        failure = Failure(kind, method=method, retry_after=retry_after, seconds=seconds)
        self._failures.extend([failure] * times)

    def take_failure(self, method: str) -> Failure | None:
        """The first programmed failure that applies to ``method``, removed from the queue."""
        for failure in self._failures:
            if failure.method is None or failure.method.lower() == method.lower():
                self._failures.remove(failure)
                return failure
        return None

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an incoming update for getUpdates (an ``update_id`` is added if missing)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self.pending_updates.append(update)
        return update

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def enable_forum(self, chat_id: str | int) -> None:
        """Turn topics on in a supergroup (Telegram: group settings → Topics)."""
        if not str(chat_id).startswith("-100"):
            raise ValueError("only a supergroup (id -100…) can have topics")
        self.forum_chats.add(str(chat_id))
        self.topics.setdefault(str(chat_id), {})

    def topic_messages(self, chat_id: str | int, thread_id: int) -> list[SentMessage]:
        """Messages the bot posted in one forum topic, in order."""
        return [m for m in self.sent_messages(chat_id) if m.thread_id == thread_id]

    def sent_messages(self, chat_id: str | int | None = None) -> list[SentMessage]:
        """Messages sent, in order; only those to ``chat_id`` when given."""
        if chat_id is None:
            return list(self.sent)
        return [message for message in self.sent if message.chat_id == str(chat_id)]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Calls of one Bot API method (names are case-insensitive, as in Telegram)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def answered_callbacks(self) -> list[str]:
        """The callback query ids answered successfully, in order."""
        return list(self.callback_answers)

    def chat_actions(self, chat_id: str | int | None = None) -> list[str]:
        """The chat actions ("typing") shown, in order; only those in ``chat_id`` when given."""
        return [action for chat, action in self.actions if chat_id is None or chat == str(chat_id)]
