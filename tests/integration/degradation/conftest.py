"""The breaker around the real Impulse client talking to the emulator over HTTP (in process and
through a real socket, the CRM tests' fixtures), its state in Redis (real and embedded).

``sent`` lists the path of every HTTP request the client sends (an httpx event hook): what the
breaker let through to the CRM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date

import httpx
import pytest
import redis.asyncio as aioredis
from fakeredis.aioredis import FakeRedis
from tests.conftest import REDIS_URL
from tests.integration.crm import conftest as crm

from dancebot.adapters.clock import VirtualClock
from dancebot.adapters.crm.breaker import BreakerStore, CircuitBreakerCRM
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.storage.keys import RedisKeys
from dancebot.domain.crm import LessonRef

BreakerFactory = Callable[..., CircuitBreakerCRM]

# the CRM tests' fixtures, shared as they are (``http`` is replaced below to count requests)
clock = crm.clock
emulator_state = crm.emulator_state
emulator_app = crm.emulator_app
wire_kind = crm.wire_kind
emulator_url = crm.emulator_url
crm_wire = crm.crm_wire
impulse_settings = crm.impulse_settings
make_client = crm.make_client
impulse_client = crm.impulse_client


@pytest.fixture
def sent() -> list[str]:
    return []


@pytest.fixture
async def http(
    crm_wire: httpx.AsyncBaseTransport, sent: list[str]
) -> AsyncIterator[httpx.AsyncClient]:
    async def record(request: httpx.Request) -> None:
        sent.append("/".join(request.url.path.split("/")[-2:]))

    async with httpx.AsyncClient(transport=crm_wire, event_hooks={"request": [record]}) as client:
        yield client


@pytest.fixture
def keys(key_prefix: str) -> RedisKeys:
    return RedisKeys(prefix=key_prefix)


@pytest.fixture
async def other_redis(redis: aioredis.Redis) -> AsyncIterator[aioredis.Redis]:
    """A second connection to the same data, as another process would hold (fakeredis has no
    server to connect to twice: the embedded case shares its one client, as one process does)."""
    if isinstance(redis, FakeRedis):
        yield redis
        return
    client = aioredis.from_url(REDIS_URL, decode_responses=False)
    yield client
    await client.aclose()


@pytest.fixture
def make_breaker(clock: VirtualClock, keys: RedisKeys, redis: aioredis.Redis) -> BreakerFactory:
    """``make_breaker(inner, redis=…)``: a breaker with the defaults (3 failures, 30 s)."""

    def build(inner: ImpulseClient, *, on: aioredis.Redis | None = None) -> CircuitBreakerCRM:
        store = BreakerStore(on if on is not None else redis, keys=keys)
        return CircuitBreakerCRM(inner, clock=clock, state=store)

    return build


@pytest.fixture
def breaker(make_breaker: BreakerFactory, impulse_client: ImpulseClient) -> CircuitBreakerCRM:
    return make_breaker(impulse_client)


@pytest.fixture
def full_lesson(emulator_state: EmulatorState) -> LessonRef:
    """A Thursday lesson with one place, taken by client 500."""
    group = emulator_state.update("group", {"name": "Heels", "style": 1, "placeCount": 1})
    rule = emulator_state.update(
        "schedule",
        {
            "group": group["id"],
            "hall": 1,
            "teacher": 1,
            "day": 4,
            "minutesBegin": 1140,
            "minutesEnd": 1200,
            "dateBegin": "2026-03-01",
        },
    )
    day = date(2026, 3, 5)
    emulator_state.update(
        "reservation", {"client": 500, "schedule": rule["id"], "date": day.isoformat()}
    )
    return LessonRef(schedule_id=rule["id"], date=day)
