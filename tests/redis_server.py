"""A Redis server a test owns: started on a free port, stopped and restarted at will (with an
append-only file, so data survives a restart the way it does in production)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis.asyncio as aioredis


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *[
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = aioredis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    await client.ping()
                    return
                except (ConnectionError, OSError, aioredis.ConnectionError):
                    await asyncio.sleep(0.05)
            raise AssertionError(f"redis-server on port {self.port} did not start")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()  # SIGTERM: Redis flushes the append-only file and exits
        await asyncio.wait_for(process.wait(), 10)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@asynccontextmanager
async def own_redis(directory: Path) -> AsyncIterator[OwnRedis]:
    if shutil.which("redis-server") is None:  # pragma: no cover - environment problem
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = OwnRedis(directory)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
