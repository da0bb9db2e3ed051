"""The fake Bot API in process: a ``BotApi`` whose HTTP goes through ``httpx.ASGITransport``
into the fake's ASGI app instead of a socket. The HTTP layer is faked at the transport;
everything above it — the JSON request, the answer's envelope, the error mapping, our
sender and poller — runs as in production, on Telegram's real wire format.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from dancebot.adapters.channels.telegram.botapi import BotApi

IN_PROCESS_BASE = "http://fake-telegram.local"


def in_process_api(app: ASGIApp, *, token: str, timeout: float = 5.0) -> BotApi:
    """A ``BotApi`` whose every call goes to ``app`` in process. ``timeout`` bounds each call
    as over a socket: on expiry the call raises ``ChannelUnavailable``."""
    transport = httpx.ASGITransport(app=app)
    return BotApi(token, api_base=IN_PROCESS_BASE, timeout=timeout, transport=transport)
