"""The fake LLM's state: its mode, what a test scripted, what it was asked."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    FAKE = "fake"  # sensible commands and honest phrasings
    LIAR = "liar"  # phrasings that invent prices, times, teachers, comparisons, "я бот"


class Failure(StrEnum):
    RATE_LIMIT = "429"  # 429 with retry-after
    SERVER_ERROR = "500"
    TIMEOUT = "timeout"  # holds the request until the client gives up (or the server stops)
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    WRONG_FIELDS = "wrong_fields"  # a structured answer whose fields are not the schema's
    GARBAGE_TEXT = "garbage_text"  # plain prose where JSON was asked for


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a structured output (``output``, the tool's arguments), a text,
    or a failure."""

    output: dict[str, Any] | None = None
    text: str | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Recorded:
    """One request as the fake understood it (both APIs normalised)."""

    api: str  # "anthropic" | "openai"
    model: str
    system: str
    user_texts: list[str]
    tools: list[str]
    temperature: float | None
    retry: bool  # the conversation already holds an answer of the model (a retry)
    answered: str  # "output" | "text" | a Failure value


@dataclass
class FakeLLM:
    """Scriptable state of the fake server. ``script(...)`` queues answers used before the
    mode's own; ``fail(kind)`` makes every request fail that way until ``fail(None)``."""

    mode: Mode = Mode.FAKE
    retry_after_seconds: int = 1
    requests: list[Recorded] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _failure: Failure | None = None
    _released: asyncio.Event | None = None
    liar_turn: int = 0  # which lie comes next

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    def fail(self, kind: Failure | None) -> None:
        self._failure = kind

    @property
    def failing(self) -> Failure | None:
        return self._failure

    def next_scripted(self) -> Reply | None:
        if self._failure is not None:
            return Reply(failure=self._failure)
        return self._script.popleft() if self._script else None

    def released(self) -> asyncio.Event:
        """Set when hanging requests should end (the server is stopping)."""
        if self._released is None:
            self._released = asyncio.Event()
        return self._released

    def release(self) -> None:
        self.released().set()
