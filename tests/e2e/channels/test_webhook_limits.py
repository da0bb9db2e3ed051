"""Request bodies: over the size limit → 413 before the body is read; a WhatsApp webhook
without its signature header → 401 before the body is read. Checked on a raw socket that
announces a body it never sends: an answer can only come from the headers."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from tests.e2e.channels.conftest import SECRET, Stack

from dancebot.testing.fake_telegram.updates import text_update


async def _headers_only(stack: Stack, path: str, headers: dict[str, str]) -> int:
    """POST the headers, announce a body, send none of it; the status line's code."""
    where = urlsplit(stack.url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    try:
        status = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    return int(status.split()[1])


async def test_an_oversized_body_gets_413_before_it_is_read(stack: Stack) -> None:
    limit = stack.settings.webhook_max_body_bytes
    code = await _headers_only(
        stack,
        "/webhook/telegram",
        {
            "Content-Type": "application/json",
            "Content-Length": str(limit + 1),
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        },
    )
    assert code == 413


async def test_an_oversized_chunked_body_gets_413_and_nothing_is_taken_in(stack: Stack) -> None:
    """No Content-Length (chunked): the limit counts what arrives and stops there."""
    where = urlsplit(stack.url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    head = [
        "POST /webhook/telegram HTTP/1.1",
        f"Host: {where.netloc}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}",
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b"x" * 65_536
    for _ in range(stack.settings.webhook_max_body_bytes // len(chunk) + 2):
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    await writer.drain()
    try:
        status = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()
    assert int(status.split()[1]) == 413  # answered without the body's end ever coming
    assert await stack.redis.xlen(stack.keys.inbound_stream()) == 0


async def test_a_normal_update_still_passes(stack: Stack) -> None:
    answer = await stack.post_telegram(text_update(1001, "Привет", date=stack.clock.now()))
    assert answer.status_code == 200 and answer.json()["result"] == "accepted"


async def test_whatsapp_without_a_signature_is_refused_before_the_body_is_read(
    stack: Stack,
) -> None:
    code = await _headers_only(
        stack, "/webhook/whatsapp", {"Content-Type": "application/json", "Content-Length": "500"}
    )
    assert code == 401
