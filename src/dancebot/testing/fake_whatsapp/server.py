"""The fake's state (requests, sent messages, 24 h windows, programmed failures) and the
ASGI app that answers ``POST /{version}/{phone_number_id}/messages`` from it."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dancebot.adapters.channels.whatsapp.templates import TEMPLATES
from dancebot.testing.fake_whatsapp.graph import BAD_TOKEN, FAILURE_KINDS, FAILURES, GraphError
from dancebot.testing.fake_whatsapp.validation import validate_message, wa_id_of
from dancebot.testing.fake_whatsapp.webhooks import DEFAULT_PHONE_NUMBER_ID, new_wamid

WINDOW = timedelta(hours=24)
DEFAULT_TIMEOUT_DELAY = 30.0  # seconds: longer than any sane client timeout
_HIDDEN_HEADERS = frozenset({"authorization", "cookie"})


def _real_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake saw it (headers without ``authorization``)."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the fake accepted: its wamid, the recipient's wa_id and the request body."""

    wamid: str
    to: str
    body: dict[str, Any]
    at: datetime

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def text(self) -> str | None:
        """The text body, the interactive body, or None for a template."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        return None


@dataclass
class _Failure:
    kind: str
    delay: float
    retry_after: float | None


@dataclass
class FakeWhatsApp:
    """The fake's state: what was asked and sent, the 24 h windows, programmed failures.

    ``now`` is the clock the window is judged by (a virtual clock works); ``approved`` maps
    each approved template name to its (language, parameter count), by default DanceBot's
    three. One event loop owns it; handlers do not await between reading and writing it.
    """

    now: Callable[[], datetime] = field(default=_real_now)
    enforce_window: bool = False
    approved: dict[str, tuple[str, int]] = field(
        default_factory=lambda: {t.name: (t.language, t.param_count) for t in TEMPLATES.values()}
    )
    requests: list[RecordedRequest] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)
    _failures: deque[_Failure] = field(default_factory=deque, init=False, repr=False)

    def client_wrote(self, wa_id: str, at: datetime) -> None:
        """The client ``wa_id`` wrote at ``at``: their window is open for 24 h from then."""
        self.last_inbound[wa_id_of(wa_id)] = at

    def fail_next(
        self,
        kind: str,
        times: int = 1,
        *,
        delay: float = DEFAULT_TIMEOUT_DELAY,
        retry_after: float | None = None,
    ) -> None:
        """The next ``times`` message requests fail as ``kind``: one of ``FAILURES`` ("429",
        "130429", "131056", "80007", "500", "503", "131047", "131026", "132001", "190") or
        "timeout" (the answer comes after ``delay`` seconds, and the message IS sent, like a
        slow server whose client gave up). ``retry_after`` adds a Retry-After header.
        Raises ``ValueError`` for an unknown kind."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure {kind!r}; one of {sorted(FAILURE_KINDS)}")
        self._failures.extend(_Failure(kind, delay, retry_after) for _ in range(times))

    def messages_to(self, wa_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.to == wa_id_of(wa_id)]

    def reset(self) -> None:
        self.requests.clear()
        self.sent.clear()
        self.last_inbound.clear()
        self._failures.clear()

    def window_open(self, wa_id: str) -> bool:
        last = self.last_inbound.get(wa_id_of(wa_id))
        return last is not None and self.now() < last + WINDOW

    def next_failure(self) -> _Failure | None:
        return self._failures.popleft() if self._failures else None


def create_fake_whatsapp_app(
    state: FakeWhatsApp, *, token: str, phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
) -> Starlette:
    """An ASGI app answering ``POST /{phone_number_id}/messages``, with or without a version
    prefix (``/v21.0/…``), from ``state``."""
    handler = _MessagesEndpoint(state, token=token, phone_number_id=phone_number_id)
    return Starlette(
        routes=[
            Route("/{version}/{phone_id}/messages", handler.handle, methods=["POST"]),
            Route("/{phone_id}/messages", handler.handle, methods=["POST"]),
        ]
    )


class _MessagesEndpoint:
    def __init__(self, state: FakeWhatsApp, *, token: str, phone_number_id: str) -> None:
        self.state = state
        self.token = token.encode("utf-8")
        self.phone_number_id = phone_number_id

    async def handle(self, request: Request) -> Response:
        body = await _json(request)
        self.state.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                body=body,
                headers={k: v for k, v in request.headers.items() if k not in _HIDDEN_HEADERS},
            )
        )
        if not self._authorized(request):
            return BAD_TOKEN.response()
        if request.path_params["phone_id"] != self.phone_number_id:
            return GraphError(
                400,
                100,
                "Unsupported post request",
                f"Object with ID '{request.path_params['phone_id']}' does not exist",
                subcode=33,
            ).response()
        failure = self.state.next_failure()
        if failure is not None and failure.kind != "timeout":
            return _failed(failure)
        if failure is not None:
            await asyncio.sleep(failure.delay)
        problem = validate_message(body, approved=self.state.approved)
        if problem is None and self.state.enforce_window:
            problem = self._window_problem(body)
        if problem is not None:
            return problem.response()
        return self._accept(body)

    def _authorized(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8"), self.token
        )

    def _window_problem(self, body: dict[str, Any]) -> GraphError | None:
        if body.get("type") == "template" or self.state.window_open(body["to"]):
            return None
        return FAILURES["131047"]

    def _accept(self, body: dict[str, Any]) -> Response:
        wa_id = wa_id_of(body["to"])
        wamid = new_wamid()
        self.state.sent.append(SentMessage(wamid=wamid, to=wa_id, body=body, at=self.state.now()))
        message: dict[str, str] = {"id": wamid}
        if body.get("type") == "template":
            message["message_status"] = "accepted"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": wa_id}],
                "messages": [message],
            }
        )


def _failed(failure: _Failure) -> Response:
    response = FAILURES[failure.kind].response()
    if failure.retry_after is not None:
        response.headers["Retry-After"] = f"{failure.retry_after:g}"
    return response


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")
