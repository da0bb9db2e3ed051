"""The load generator: signed, unique Telegram updates posted to a webhook.

- ``open_loop``: requests at a fixed rate whatever the server does; each request's latency is
  measured from the moment it was *due*, so a server that falls behind is charged for the
  queue it built (no coordinated omission).
- ``closed_loop``: a fixed number of clients, each posting as soon as its last answer came;
  gives the maximum throughput.

Every update has its own ``update_id``, ``message_id`` and (unless a chat is given) its own
chat, so the app's dedup and per-chat limits never drop or delay one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from dancebot.testing.fake_telegram import text_update, webhook_headers

WEBHOOK_PATH = "/webhook/telegram"


@dataclass
class UpdateFactory:
    """Unique signed updates: ``make(text)`` → (chat id, body, headers)."""

    secret: str
    first_chat: int = 7_000_000_000
    _chats: itertools.count[int] = field(init=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000_001))

    def __post_init__(self) -> None:
        self._chats = itertools.count(self.first_chat)

    def make(self, text: str, *, chat_id: int | None = None) -> tuple[int, bytes, dict[str, str]]:
        chat = chat_id if chat_id is not None else next(self._chats)
        n = next(self._ids)
        update = text_update(chat, text, message_id=n, update_id=n)
        return chat, json.dumps(update).encode(), webhook_headers(self.secret)


@dataclass
class Shot:
    """One request: when it was due (wall clock), when its answer came, the status."""

    chat_id: int
    due: float
    done: float
    status: int

    @property
    def latency(self) -> float:
        return self.done - self.due


Request = Callable[[int], tuple[int, bytes, dict[str, str]]]


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> int:
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


def client_session(connections: int = 256) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def open_loop(base_url: str, request: Request, *, rate: float, count: int) -> list[Shot]:
    """``count`` requests at ``rate`` a second; ``request(i)`` builds the i-th."""
    url = base_url + WEBHOOK_PATH
    loop = asyncio.get_running_loop()
    shots: list[Shot] = []
    async with client_session() as session:
        start_loop, start_wall = loop.time() + 0.05, time.time() + 0.05
        tasks = []
        for i in range(count):
            chat, body, headers = request(i)
            due = start_loop + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            due_wall = start_wall + i / rate
            tasks.append(asyncio.create_task(_timed(session, url, body, headers, chat, due_wall)))
        shots = list(await asyncio.gather(*tasks))
    return shots


async def _timed(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    chat: int,
    due: float,
) -> Shot:
    status = await _post(session, url, body, headers)
    return Shot(chat_id=chat, due=due, done=time.time(), status=status)


async def closed_loop(
    base_url: str, request: Request, *, clients: int, seconds: float
) -> tuple[float, int]:
    """``clients`` concurrent posters for ``seconds``: (answers per second, non-2xx count)."""
    url = base_url + WEBHOOK_PATH
    counter = itertools.count()
    done = 0
    failed = 0
    async with client_session(clients) as session:
        deadline = time.monotonic() + seconds

        async def client() -> None:
            nonlocal done, failed
            while time.monotonic() < deadline:
                _, body, headers = request(next(counter))
                status = await _post(session, url, body, headers)
                done += 1
                failed += not 200 <= status < 300

        start = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.monotonic() - start
    return done / elapsed, failed
