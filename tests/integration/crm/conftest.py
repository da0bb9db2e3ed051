"""The Impulse emulator and the real client talking to it over HTTP.

``clock`` (virtual, shared by the emulator and the client's cache) → ``emulator_state`` (the
DESIGN §7 example seed) → ``emulator_app`` → ``http`` (an ``httpx.AsyncClient`` reaching the
app in process through ``ASGITransport`` — the embedded default — or through a real uvicorn
socket, reached with httpx's own transport or with ``AiohttpTransport`` as in production:
the fixture is parametrized over all three) → ``impulse_client``.

``crm_wire`` records every request the client sends (to count HTTP calls), runs response
hooks a test adds, and can drop chosen answers after the emulator has acted on them.
A later e2e test can copy these fixtures as they are.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.impulse.aiohttp_transport import AiohttpTransport
from dancebot.adapters.crm.impulse.cache import ScheduleCache
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.app import create_emulator_app
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.crm.impulse.settings import ImpulseSettings

DESIGN_SEED = Path(__file__).parents[2] / "fixtures" / "seeds" / "design_example.yaml"
STUDIO_TZ = ZoneInfo("Asia/Vladivostok")
API_KEY = "test-key"
# Monday 2 March 2026, noon at the studio; the seed's lesson 100 is on Wednesdays 19:00.
START = datetime(2026, 3, 2, 12, 0, tzinfo=STUDIO_TZ)

ClientFactory = Callable[..., ImpulseClient]


class CrmWire(httpx.AsyncBaseTransport):
    """A transport around the emulator's that records ``(method, "entity/action")`` of every
    request, runs ``on_response`` hooks, and for requests ``lose`` picks delivers the request
    but drops the answer with a timeout (the CRM did the work, the client never heard)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.calls: list[tuple[str, str]] = []
        self.requests: list[tuple[str, bytes]] = []  # ("entity/action", body)
        self.on_response: list[Callable[[httpx.Response], None]] = []
        self.lose: Callable[[httpx.Request], bool] = lambda request: False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, "/".join(request.url.path.split("/")[-2:])))
        self.requests.append((self.calls[-1][1], request.content))
        response = await self._inner.handle_async_request(request)
        for hook in self.on_response:
            hook(response)
        if self.lose(request):
            await response.aclose()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def count(self, endpoint: str, method: str | None = None) -> int:
        return sum(1 for m, e in self.calls if e == endpoint and method in (None, m))

    def bodies(self, endpoint: str) -> list[Any]:
        """The JSON bodies sent to ``endpoint``, in order."""
        return [json.loads(body) for e, body in self.requests if e == endpoint and body]


async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on a free local port in this event loop; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def emulator_state(clock: VirtualClock) -> EmulatorState:
    return EmulatorState.from_seed_file(DESIGN_SEED, now=clock.now)


@pytest.fixture
def emulator_app(emulator_state: EmulatorState) -> ASGIApp:
    return create_emulator_app(emulator_state, api_key=API_KEY)


@pytest.fixture(params=["asgi", "socket", "socket-aiohttp"])
def wire_kind(request: pytest.FixtureRequest) -> str:
    """How the client reaches the emulator: in process, or over a socket with httpx's own
    transport or with aiohttp's (the production CRM path, D82)."""
    kind: str = request.param
    return kind


@pytest.fixture
async def emulator_url(wire_kind: str, emulator_app: ASGIApp) -> AsyncIterator[str | None]:
    """None for the in-process emulator (embedded default), else a real server's URL."""
    if wire_kind == "asgi":
        yield None
        return
    async for url in serve(emulator_app):
        yield url


@pytest.fixture
def crm_wire(wire_kind: str, emulator_url: str | None, emulator_app: ASGIApp) -> CrmWire:
    if emulator_url is None:
        return CrmWire(httpx.ASGITransport(app=emulator_app))
    if wire_kind == "socket-aiohttp":
        return CrmWire(AiohttpTransport())
    return CrmWire(httpx.AsyncHTTPTransport())


@pytest.fixture
async def http(crm_wire: CrmWire) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=crm_wire) as client:
        yield client


@pytest.fixture
def impulse_settings(emulator_url: str | None) -> ImpulseSettings:
    """The emulator's key and path, no backoff waits, a short timeout."""
    return ImpulseSettings(
        base_url=emulator_url, api_key=API_KEY, retry_wait=0, retry_wait_max=0, timeout=2.0
    )


@pytest.fixture
def make_client(
    http: httpx.AsyncClient, impulse_settings: ImpulseSettings, clock: VirtualClock
) -> ClientFactory:
    """``make_client(cache=…, **setting_overrides)``: a client over the shared ``http``."""

    def build(*, cache: ScheduleCache | None = None, **overrides: object) -> ImpulseClient:
        settings = ImpulseSettings.model_validate(impulse_settings.model_dump() | overrides)
        return ImpulseClient(http=http, settings=settings, tz=STUDIO_TZ, now=clock.now, cache=cache)

    return build


@pytest.fixture
def impulse_client(make_client: ClientFactory) -> ImpulseClient:
    return make_client()
