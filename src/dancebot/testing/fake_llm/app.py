"""The fake LLM server as a Starlette app: ``POST /v1/messages`` (Anthropic Messages API)
and ``POST /v1/chat/completions`` (OpenAI Chat Completions API, as OpenRouter, DeepSeek,
vLLM and Ollama serve it). Structured output comes back the way pydantic-ai asks for it: a
call of the first tool the request offers (``tool_use`` / ``tool_calls``); text otherwise.
Every answer carries usage (about four characters a token) so budgets and costs are real
numbers. Failures: see ``Failure``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dancebot.ai.prompts import TASK_UNDERSTAND
from dancebot.kb.schema import KnowledgeBase
from dancebot.testing.fake_llm import behaviour, wire
from dancebot.testing.fake_llm.state import Failure, FakeLLM, Recorded, Reply

_WRONG_FIELDS = {"intent": "booking", "slots": {"style": "что-то"}, "confidence": 0.93}
_GARBAGE = "Конечно, я понял вас! Сейчас всё сделаю."
_HANG_SECONDS = 120.0

Answer = Callable[..., JSONResponse]


def create_fake_llm_app(state: FakeLLM, *, kb: KnowledgeBase | None = None) -> Starlette:
    """The ASGI app serving ``state``; ``kb`` lets ``fake`` mode understand messages."""

    async def anthropic(request: Request) -> Response:
        return await _handle(request, "anthropic", wire.parse_anthropic, wire.anthropic_answer)

    async def openai(request: Request) -> Response:
        return await _handle(request, "openai", wire.parse_openai, wire.openai_answer)

    async def _handle(
        request: Request,
        api: str,
        parse: Callable[[dict[str, Any]], wire.Parsed],
        answer: Answer,
    ) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": {"message": "invalid JSON body"}}, status_code=400)
        parsed = parse(body)
        reply = state.next_scripted()
        failure = reply.failure if reply is not None else None
        state.requests.append(
            _recorded(api, parsed, failure or ("output" if parsed.tools else "text"))
        )
        if failure is not None:
            return await _fail(state, failure, api, parsed, answer)
        tool = parsed.tools[0] if parsed.tools else None
        if reply is not None:
            return answer(parsed, output=reply.output, text=reply.text, tool=tool)
        if behaviour.task_of(parsed) == TASK_UNDERSTAND:
            return answer(
                parsed, output=behaviour.commands(parsed, kb, state.mode), text=None, tool=tool
            )
        text = behaviour.phrasing(parsed, kb, state.mode, state.liar_turn)
        state.liar_turn += 1
        return answer(parsed, output=None, text=text, tool=None)

    return Starlette(
        routes=[
            Route("/v1/messages", anthropic, methods=["POST"]),
            Route("/v1/chat/completions", openai, methods=["POST"]),
        ]
    )


async def _fail(
    state: FakeLLM, failure: Failure, api: str, parsed: wire.Parsed, answer: Answer
) -> Response:
    if failure is Failure.RATE_LIMIT:
        return wire.error(api, 429, retry_after=state.retry_after_seconds)
    if failure is Failure.SERVER_ERROR:
        return wire.error(api, 500)
    if failure is Failure.TIMEOUT:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.released().wait(), _HANG_SECONDS)
        return wire.error(api, 500)
    if failure is Failure.MALFORMED:
        return wire.malformed()
    tool = parsed.tools[0] if parsed.tools else None
    if failure is Failure.WRONG_FIELDS:
        if tool is None:
            return answer(parsed, output=None, text=json.dumps(_WRONG_FIELDS), tool=None)
        return answer(parsed, output=_WRONG_FIELDS, text=None, tool=tool)
    return answer(parsed, output=None, text=_GARBAGE, tool=None)


def _recorded(api: str, parsed: wire.Parsed, answered: str) -> Recorded:
    return Recorded(
        api=api,
        model=parsed.model,
        system=parsed.system,
        user_texts=parsed.user_texts,
        tools=parsed.tools,
        temperature=parsed.temperature,
        retry=parsed.retry,
        answered=str(answered),
    )


__all__ = ["FakeLLM", "Reply", "create_fake_llm_app"]
