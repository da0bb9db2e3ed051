"""The fake Bot API as a Starlette app: ``/bot{token}/{method}``, GET or POST, parameters in
the query string, a JSON body (what ``BotApi`` sends) or a urlencoded form, as Telegram
accepts.

Answers follow https://core.telegram.org/bots/api ("Making requests"): ``{"ok": true,
"result": ...}``, or ``{"ok": false, "error_code": N, "description": "...", "parameters":
{"retry_after": N}}`` with the same HTTP status; descriptions are the texts Telegram uses
("Too Many Requests: retry after 3", "Forbidden: bot was blocked by the user", "Bad Request:
chat not found", "Unauthorized", "Not Found"). Checked with the docs search against the Bot
API pages mirrored by library docs (``ResponseParameters``, grammY/typegram ``ApiError``,
getUpdates/setWebhook parameter docs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dancebot.testing.fake_telegram.methods import METHODS, ApiError, answer_error
from dancebot.testing.fake_telegram.state import Failure, FakeTelegram, RecordedCall

# Parameters the Bot API takes as JSON-serialized strings inside a form.
_JSON_FIELDS = frozenset(
    {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters"}
)
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-telegram-bot-api-secret-token"})
_SECRET_PARAMS = frozenset({"secret_token"})

_FAILURE_ANSWERS: dict[str, tuple[int, str]] = {
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
    "403": (403, "Forbidden: bot was blocked by the user"),
    "400": (400, "Bad Request: chat not found"),
    "401": (401, "Unauthorized"),
}


def create_fake_telegram_app(state: FakeTelegram) -> Starlette:
    """The ASGI app serving ``state``. Use it in process (``httpx.ASGITransport``, or
    ``in_process_api`` for our client) or on a port (``dancebot.testing.serve.serve_app``)."""

    async def endpoint(request: Request) -> JSONResponse:
        token = request.path_params["token"]
        method = request.path_params["method"]
        params = await _params(request)
        authorized = token == state.token
        state.calls.append(
            RecordedCall(
                method=method,
                path=f"/bot***/{method}",
                params={k: ("***" if k in _SECRET_PARAMS else v) for k, v in params.items()},
                headers={
                    k: v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS
                },
                authorized=authorized,
            )
        )
        if not authorized:
            return answer_error(ApiError(401, "Unauthorized"))
        failure = state.take_failure(method)
        if failure is not None and failure.kind == "hold":
            if await _client_gone(request, within=failure.seconds):
                state.dropped_calls += 1
                return answer_error(ApiError(499, "client closed the request"))
        elif failure is not None:
            failed = await _apply(failure)
            if failed is not None:
                return failed
        handler = METHODS.get(method.lower())
        if handler is None:
            return answer_error(ApiError(404, "Not Found"))
        try:
            result = await handler(state, params)
        except ApiError as error:
            return answer_error(error)
        return JSONResponse({"ok": True, "result": result})

    return Starlette(
        routes=[Route("/bot{token}/{method}", endpoint, methods=["GET", "POST"])],
    )


async def _client_gone(request: Request, *, within: float) -> bool:
    """Wait up to ``within`` seconds; True as soon as the client has disconnected."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if await request.is_disconnected():
            return True
        await asyncio.sleep(0.05)
    return await request.is_disconnected()


async def _apply(failure: Failure) -> JSONResponse | None:
    """The error answer for ``failure``; None when it only delays a normal answer."""
    if failure.kind == "timeout":
        await asyncio.sleep(failure.seconds)
        return None
    if failure.kind == "429":
        return answer_error(
            ApiError(
                429,
                f"Too Many Requests: retry after {failure.retry_after}",
                retry_after=failure.retry_after,
            )
        )
    status, description = _FAILURE_ANSWERS[failure.kind]
    return answer_error(ApiError(status, description))


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and content_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
    elif body and content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    for name in _JSON_FIELDS & params.keys():
        if isinstance(params[name], str):
            # Left as sent when it is not JSON: the method answers "can't parse".
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return params
