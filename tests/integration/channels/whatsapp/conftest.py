"""The WhatsApp sender against the fake Graph API, over HTTP: in-process
(``httpx.ASGITransport``) and on a real localhost port (uvicorn), with a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from dancebot.adapters.channels.whatsapp.sender import WhatsAppSender
from dancebot.adapters.clock import VirtualClock
from dancebot.testing.fake_whatsapp import FakeWhatsApp, create_fake_whatsapp_app
from dancebot.testing.serve import serve_app

TOKEN = "EAAGm0PX4ZCpsBAFAKE-wa-token-never-logged"
PHONE_NUMBER_ID = "106540352242922"
WA_ID = "79991234567"
START = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)


@dataclass
class Graph:
    """A client that reaches the fake, and the API base to give the sender."""

    http: httpx.AsyncClient
    api_base: str


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def fake(clock: VirtualClock) -> FakeWhatsApp:
    return FakeWhatsApp(now=clock.now)


@pytest.fixture(params=["asgi", "socket"])
async def graph(request: pytest.FixtureRequest, fake: FakeWhatsApp) -> AsyncIterator[Graph]:
    app = create_fake_whatsapp_app(fake, token=TOKEN, phone_number_id=PHONE_NUMBER_ID)
    if request.param == "asgi":
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as http:
            yield Graph(http, "http://graph.test/v21.0")
        return
    async with serve_app(app) as base_url, httpx.AsyncClient() as http:
        yield Graph(http, f"{base_url}/v21.0")


@pytest.fixture
def sender(graph: Graph) -> WhatsAppSender:
    return WhatsAppSender(
        graph.http, token=TOKEN, phone_number_id=PHONE_NUMBER_ID, api_base=graph.api_base
    )
