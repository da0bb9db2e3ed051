"""The emulator as an ASGI app: the Impulse API (docs/impulse_api.md) over an
``EmulatorState``, plus the ``/_emulator/*`` controls (fault, reset, state, clock)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
from datetime import datetime
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dancebot.adapters.crm.impulse import fields as f
from dancebot.adapters.crm.impulse.emulator.booking import VALIDATION, EmulatorError
from dancebot.adapters.crm.impulse.emulator.pages import (
    login_page,
    method_not_allowed_page,
    not_found_page,
    rate_limited_page,
    unavailable_page,
)
from dancebot.adapters.crm.impulse.emulator.schema import ENTITIES
from dancebot.adapters.crm.impulse.emulator.state import DEFAULT_FAULT_DELAY, EmulatorState

log = structlog.get_logger("dancebot.emulator")

# action → the HTTP methods it answers (load also takes a POST body, as some integrations send)
_ACTIONS: dict[str, tuple[str, ...]] = {
    f.LIST: ("POST",),
    f.LOAD: ("GET", "POST"),
    f.UPDATE: ("POST",),
    f.DELETE: ("POST",),
}


def create_emulator_app(
    state: EmulatorState, *, api_key: str = "test-key", api_path: str = "/api/public"
) -> Starlette:
    """An ASGI app answering ``{api_path}/{entity}/{action}`` from ``state``.

    Requests without a valid ``Authorization: Basic`` token (``base64(key:)``,
    ``base64(:key)`` or the raw key) get the HTTP 200 HTML login page, like the real CRM.
    """
    endpoints = _Endpoints(state, tokens=_accepted_tokens(api_key))
    prefix = api_path.strip().strip("/")
    routes = [
        Route("/_emulator/fault", endpoints.set_fault, methods=["POST"]),
        Route("/_emulator/reset", endpoints.reset, methods=["POST"]),
        Route("/_emulator/state", endpoints.snapshot, methods=["GET"]),
        Route("/_emulator/clock", endpoints.clock, methods=["POST"]),
        Route(
            (f"/{prefix}" if prefix else "") + "/{entity}/{action}",
            endpoints.api,
            methods=["GET", "POST"],
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_AccessLog)],
        exception_handlers={HTTPException: _http_error, EmulatorError: _refusal},
    )


class _Endpoints:
    """The request handlers, bound to one state and one set of accepted tokens."""

    def __init__(self, state: EmulatorState, *, tokens: tuple[bytes, ...]) -> None:
        self.state = state
        self.tokens = tokens

    async def api(self, request: Request) -> Response:
        entity, action = request.path_params["entity"], request.path_params["action"]
        if entity not in ENTITIES or action not in _ACTIONS:
            return not_found_page()
        if request.method not in _ACTIONS[action]:
            return method_not_allowed_page(", ".join(_ACTIONS[action]))
        fault = self.state.fault
        if fault.mode == "down":
            return unavailable_page()
        if fault.mode == "rate_limit":
            return rate_limited_page(retry_after=1)
        if fault.mode == "slow":
            await self._held(fault.delay)
        if fault.mode == "login_page" or not _authorized(request, self.tokens):
            return login_page()
        if fault.mode == "bad_body":  # HTTP 200 JSON that is not what was asked for
            return JSONResponse({"status": "ok", "data": None})
        try:
            return JSONResponse(await _dispatch(self.state, request, entity, action))
        except EmulatorError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    async def _held(self, delay: float) -> None:
        """The "slow" fault: answer after ``delay`` seconds — or as soon as the fault is
        lifted, the way a CRM that recovers answers the calls it kept waiting (the late
        answer then goes through: a booking made this way exists)."""
        self.state.held += 1
        try:
            loop = asyncio.get_running_loop()
            until = loop.time() + delay
            while self.state.fault.mode == "slow" and loop.time() < until:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(until):
                        await self.state.fault_changed().wait()
        finally:
            self.state.held -= 1

    async def set_fault(self, request: Request) -> Response:
        body = await _json_body(request)
        try:
            self.state.set_fault(
                str(body.get("mode", "none")), float(body.get("delay", DEFAULT_FAULT_DELAY))
            )
        except (TypeError, ValueError) as exc:
            raise EmulatorError(VALIDATION, str(exc)) from exc
        return JSONResponse({"mode": self.state.fault.mode, "delay": self.state.fault.delay})

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return JSONResponse({"reset": True})

    async def snapshot(self, request: Request) -> Response:
        return JSONResponse(self.state.snapshot())

    async def clock(self, request: Request) -> Response:
        raw = (await _json_body(request)).get("now")
        if raw is None:
            self.state.set_now(None)
        else:
            try:
                self.state.set_now(datetime.fromisoformat(str(raw)))
            except ValueError as exc:
                raise EmulatorError(VALIDATION, f"now: not ISO-8601: {raw!r}") from exc
        return JSONResponse({"now": self.state.now().isoformat(), "fixed": raw is not None})


async def _dispatch(
    state: EmulatorState, request: Request, entity: str, action: str
) -> dict[str, Any]:
    if action == f.LOAD:
        raw_id = request.query_params.get(f.ID)
        if raw_id is None and request.method == "POST":
            raw_id = (await _json_body(request)).get(f.ID)
        return state.load(entity, _id(raw_id))
    body = await _json_body(request)
    if action == f.LIST:
        return state.list(entity, body)
    if action == f.UPDATE:
        return state.update(entity, body)
    return state.delete(entity, _id(body.get(f.ID)))


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EmulatorError(VALIDATION, f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EmulatorError(VALIDATION, "the body must be a JSON object")
    return body


def _id(raw: Any) -> int:
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not text.isdigit():
        raise EmulatorError(VALIDATION, f"id must be a positive integer, got {raw!r}")
    return int(text)


def _accepted_tokens(api_key: str) -> tuple[bytes, ...]:
    def b64(text: str) -> bytes:
        return base64.b64encode(text.encode("utf-8"))

    return (b64(f"{api_key}:"), b64(f":{api_key}"), api_key.encode("utf-8"))


def _authorized(request: Request, tokens: tuple[bytes, ...]) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    given = token.strip().encode("utf-8")
    # Compare against every accepted form without stopping early (no timing hint).
    matches = [hmac.compare_digest(given, expected) for expected in tokens]
    return any(matches)


async def _http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        return method_not_allowed_page(exc.headers.get("Allow", "") if exc.headers else "")
    return not_found_page()


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return JSONResponse(exc.body(), status_code=exc.status)


class _AccessLog:
    """Logs method, path and status of every request; never headers, bodies or queries
    (they carry the key and phone numbers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            log.info("emulator_request", method=scope["method"], path=scope["path"], status=status)
