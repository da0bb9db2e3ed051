"""``AiohttpTransport`` against small local servers that fail the ways a network does: each
failure is httpx's exception (what ``ImpulseApi`` handles), and none carries the API key.
Its behaviour with a working CRM is the whole CRM suite's ``socket-aiohttp`` case."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from dancebot.adapters.crm.impulse.aiohttp_transport import AiohttpTransport

KEY = "Bearer secret-impulse-key-42"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def tcp_server(handle: Handler) -> AsyncIterator[str]:
    """A plain TCP server on a free local port running ``handle`` per connection."""

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handle(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up and closes


async def answers_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"this is not HTTP\r\n\r\n")
    await writer.drain()


async def answers_no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    await writer.drain()
    await reader.read()  # until the client closes its pooled connection


async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    wire = AiohttpTransport()
    yield wire
    await wire.aclose()


async def fail(transport: AiohttpTransport, url: str, *, read: float = 5.0) -> httpx.TransportError:
    """Sends a POST carrying the key; returns what it raised (it must raise)."""
    timeout = httpx.Timeout(5.0, read=read)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        with pytest.raises(httpx.TransportError) as caught:
            await http.post(f"{url}/api/public/group/list", json={}, headers={"Authorization": KEY})
    assert caught.value.request.url.path == "/api/public/group/list"
    text = "".join(traceback.format_exception(caught.value))  # the aiohttp cause included
    assert "secret-impulse-key" not in text
    return caught.value


async def test_a_closed_port_is_a_connect_error(transport: AiohttpTransport) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = await fail(transport, f"http://127.0.0.1:{port}")

    assert type(error) is httpx.ConnectError


async def test_a_server_that_never_answers_is_a_read_timeout(transport: AiohttpTransport) -> None:
    async with tcp_server(never_answers) as url:
        error = await fail(transport, url, read=0.05)

    assert type(error) is httpx.ReadTimeout


async def test_an_answer_that_is_not_http_is_a_protocol_error(
    transport: AiohttpTransport,
) -> None:
    async with tcp_server(answers_garbage) as url:
        error = await fail(transport, url)

    assert type(error) is httpx.RemoteProtocolError


async def test_a_server_that_hangs_up_is_a_protocol_error(transport: AiohttpTransport) -> None:
    async with tcp_server(hangs_up) as url:
        error = await fail(transport, url)

    assert type(error) is httpx.RemoteProtocolError


async def test_closing_the_client_closes_the_session(transport: AiohttpTransport) -> None:
    await transport.aclose()  # nothing opened yet: nothing to close
    http = httpx.AsyncClient(transport=transport)
    async with tcp_server(answers_no_content) as url:
        assert (await http.get(url)).status_code == 204
        session = transport._session
        assert session is not None and not session.closed

        await http.aclose()

    assert session.closed
    assert transport._session is None
