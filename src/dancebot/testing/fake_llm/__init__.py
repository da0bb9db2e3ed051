"""A fake LLM provider for tests, ``dancebot eval --llm fake|liar`` and the prompt
regression runner: an ASGI app speaking the Anthropic Messages API and the OpenAI Chat
Completions API, served over real HTTP with ``dancebot.testing.serve.serve_app``.

``FakeLLM`` is its state (mode ``fake`` or ``liar``, scripted replies, failure modes, the
requests it saw); ``create_fake_llm_app(state, kb=...)`` the app. ``serve_fake_llm`` starts
both on a free port. See ``behaviour`` for what it answers unscripted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm.app import create_fake_llm_app
from dancebot.testing.fake_llm.state import Failure, FakeLLM, Mode, Recorded, Reply
from dancebot.testing.serve import serve_app


@asynccontextmanager
async def serve_fake_llm(state: FakeLLM, *, kb: KnowledgeBase | None = None) -> AsyncIterator[str]:
    """Serve the fake on a free localhost port; yields its base URL (``http://127.0.0.1:N``).
    Requests still hanging in ``timeout`` mode are released on exit."""
    async with serve_app(create_fake_llm_app(state, kb=kb)) as url:
        try:
            yield url
        finally:
            state.release()


__all__ = [
    "Failure",
    "FakeLLM",
    "Mode",
    "Recorded",
    "Reply",
    "create_fake_llm_app",
    "serve_fake_llm",
]
