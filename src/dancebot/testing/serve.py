"""Serving an ASGI app (a fake channel server, the CRM emulator) on a real localhost port.

Some tests must go over real sockets (connection handling, timeouts, the HTTP client the
adapter really uses); ``serve_app`` runs uvicorn as a task in the caller's event loop, so the
app's state can be inspected directly by the test while the server runs.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT = 10.0


@asynccontextmanager
async def serve_app(app: ASGIApp, *, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on a free port of ``host``; yields its base URL
    (``http://127.0.0.1:PORT``) and stops the server on exit.

    Raises whatever uvicorn raised if it could not start, or ``TimeoutError`` if it did not
    start within 10 s.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(_START_TIMEOUT):
            while not server.started:
                if task.done():
                    task.result()  # raises why it could not start
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        try:
            await task
        finally:
            sock.close()
