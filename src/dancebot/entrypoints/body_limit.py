"""A request body larger than the limit is refused with 413 before it is read: by its
``Content-Length`` when it says so, else (chunked) as soon as the bytes received pass the
limit. Telegram updates and WhatsApp webhooks are a few kilobytes; a megabyte is generous."""

from __future__ import annotations

import json

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dancebot.adapters.metrics import INBOUND_DROPPED

log = structlog.get_logger(__name__)


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 ``{"ok": false, "error": …}`` for bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, declared)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:  # the app answered without reading it all; nothing more to say
                return
            await self._refuse(scope, send, received)

    async def _refuse(self, scope: Scope, send: Send, size: int) -> None:
        path = str(scope.get("path", ""))
        channel = path.rsplit("/", 1)[-1] if path.startswith("/webhook/") else "other"
        INBOUND_DROPPED.labels(channel, "too_large").inc()
        log.warning("request_body_too_large", path=path, bytes=size, limit=self.max_bytes)
        body = json.dumps({"ok": False, "error": "request body too large"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
