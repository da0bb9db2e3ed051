"""An httpx transport that sends requests through aiohttp's client (D82).

httpx's default transport (httpcore) costs the caller ~1.5–2 ms of CPU per request, aiohttp's
client ~0.3 ms; the Impulse client keeps httpx's API (``httpx.AsyncClient``) and only the wire
underneath changes. aiohttp is imported on the first request, never at start-up (D65: the
import costs ~0.4 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import aiohttp

# like httpx's defaults: 100 connections at most, idle ones kept for 5 s
_MAX_CONNECTIONS = 100
_KEEPALIVE_SECONDS = 5.0
# httpx sends these itself; aiohttp must not add its own (nor octet-stream to a bare body)
_NOT_AUTOMATIC = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends each request through one ``aiohttp.ClientSession``, made on the first request
    inside the running loop. The body is read whole. Redirects are not followed and the
    body is handed to httpx still encoded, so httpx decodes it exactly as it would its own.

    Fails with httpx's exceptions: ``ConnectError`` (refused, DNS, TLS), ``ConnectTimeout``,
    ``ReadTimeout``, ``ReadError`` (reset), ``RemoteProtocolError`` (disconnected, malformed
    or truncated answer), ``TransportError`` (anything else aiohttp raises). Their messages
    never carry the request's headers.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp  # deferred: see the module docstring

        session = self._session or self._open_session()
        body = await request.aread()
        try:
            async with session.request(
                request.method,
                _url(request),
                headers=_headers(request),
                data=body or None,
                timeout=_timeout(request),
                allow_redirects=False,
            ) as answer:
                content = await answer.read()
        except aiohttp.ClientError as exc:
            raise _httpx_error(exc, request) from exc
        return httpx.Response(
            answer.status,
            headers=list(answer.raw_headers),
            content=content,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _open_session(self) -> aiohttp.ClientSession:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=_MAX_CONNECTIONS, limit_per_host=0, keepalive_timeout=_KEEPALIVE_SECONDS
        )
        # auto_decompress off: httpx decodes by Content-Encoding when it builds the response
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            skip_auto_headers=_NOT_AUTOMATIC,
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, as httpx's own transport reads them
        )
        return self._session


def _url(request: httpx.Request) -> Any:
    from yarl import URL  # aiohttp's own URL type, deferred with it

    return URL(str(request.url), encoded=True)  # httpx has already percent-encoded it


def _headers(request: httpx.Request) -> Any:
    from multidict import CIMultiDict

    # aiohttp frames the body itself (and the connection is its pool's business)
    return CIMultiDict(
        (name, value)
        for name, value in request.headers.multi_items()
        if name.lower() not in ("content-length", "transfer-encoding", "connection")
    )


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    import aiohttp

    timeout: dict[str, float | None] = request.extensions.get("timeout", {})
    # aiohttp's ``connect`` covers waiting for a pooled connection and opening a new one
    return aiohttp.ClientTimeout(
        total=None, connect=timeout.get("connect"), sock_read=timeout.get("read")
    )


def _httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    """httpx's exception for aiohttp's ``exc``; the text names the failure, never headers."""
    import aiohttp

    kinds: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
        (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
        (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
        (aiohttp.ClientConnectorError, httpx.ConnectError),
        (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
        (aiohttp.ClientConnectionResetError, httpx.ReadError),
        (aiohttp.ClientOSError, httpx.NetworkError),
    )
    kind = next((k for a, k in kinds if isinstance(exc, a)), httpx.TransportError)
    return kind(_describe(exc), request=request)


def _describe(exc: Exception) -> str:
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        # its str() carries the URL (with a query); the status and message are enough
        return f"{type(exc).__name__}: {exc.status}, {exc.message}"
    return f"{type(exc).__name__}: {exc}"
