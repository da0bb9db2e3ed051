"""Every way Impulse fails without data, through the real client over HTTP: each becomes
its typed error; reads are retried (except a refused key), and recover when the CRM does."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dancebot.adapters.crm.impulse.aiohttp_transport import AiohttpTransport
from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.emulator.state import EmulatorState
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.domain.errors import (
    CrmAuthError,
    CrmBadResponse,
    CrmError,
    CrmRateLimited,
    CrmServerError,
    CrmTimeout,
    CrmUnavailable,
)

WEEK = {"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 8)}


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [
        ("login_page", CrmAuthError, 1),  # a refused key does not heal: no retry
        ("down", CrmServerError, 4),
        ("rate_limit", CrmRateLimited, 4),
    ],
)
async def test_fault_becomes_typed_error_after_retries(
    impulse_client: ImpulseClient,
    emulator_state: EmulatorState,
    crm_wire: Any,
    mode: str,
    error: type[CrmError],
    attempts: int,
) -> None:
    emulator_state.set_fault(mode)

    with pytest.raises(error) as caught:
        await impulse_client.get_groups()

    assert type(caught.value) is error
    assert crm_wire.count("group/list") == attempts
    assert await impulse_client.health_check() is False


async def test_rate_limit_carries_retry_after(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    emulator_state.set_fault("rate_limit")
    with pytest.raises(CrmRateLimited) as caught:
        await impulse_client.get_schedule(**WEEK)
    assert caught.value.retry_after == 1.0


async def test_down_is_a_server_error_with_its_status(
    impulse_client: ImpulseClient, emulator_state: EmulatorState
) -> None:
    emulator_state.set_fault("down")
    with pytest.raises(CrmServerError) as caught:
        await impulse_client.find_client("+79991234567")
    assert caught.value.status == 503


async def test_slow_answer_is_a_timeout(
    make_client: Callable[..., ImpulseClient], emulator_state: EmulatorState
) -> None:
    emulator_state.set_fault("slow", 1.0)
    client = make_client(timeout=0.2, read_retries=0)

    started = time.perf_counter()
    with pytest.raises(CrmTimeout):
        await client.get_schedule(**WEEK)

    assert time.perf_counter() - started < 0.9
    assert await client.health_check() is False


async def test_wrong_key_is_an_auth_error(make_client: Callable[..., ImpulseClient]) -> None:
    client = make_client(api_key="stolen-key")

    with pytest.raises(CrmAuthError):
        await client.get_schedule(**WEEK)
    assert await client.health_check() is False


async def test_wrong_api_path_is_a_bad_response_404(
    make_client: Callable[..., ImpulseClient],
) -> None:
    client = make_client(api_path="/api")

    with pytest.raises(CrmBadResponse) as caught:
        await client.get_groups()

    assert caught.value.status == 404
    assert await client.health_check() is False


@pytest.mark.parametrize("scheme", ["key_colon", "colon_key", "raw"])
async def test_every_auth_scheme_is_accepted(
    make_client: Callable[..., ImpulseClient], scheme: str
) -> None:
    client = make_client(auth_scheme=scheme)
    assert await client.health_check() is True
    assert [group.id for group in await client.get_groups()] == [10]


async def test_reads_are_retried_until_the_crm_is_back(
    impulse_client: ImpulseClient, emulator_state: EmulatorState, crm_wire: Any
) -> None:
    emulator_state.set_fault("down")

    def back_up_after_two_failures(response: httpx.Response) -> None:
        if response.status_code == 503 and crm_wire.count("schedule/list") >= 2:
            emulator_state.set_fault("none")

    crm_wire.on_response.append(back_up_after_two_failures)

    lessons = await impulse_client.get_schedule(**WEEK)

    assert [(lesson.schedule_id, lesson.free_places) for lesson in lessons] == [(100, 11)]
    assert crm_wire.count("schedule/list") == 3


@pytest.mark.parametrize(
    "transport", [httpx.AsyncHTTPTransport, AiohttpTransport], ids=["httpcore", "aiohttp"]
)
async def test_unreachable_crm_is_unavailable(
    transport: Callable[[], httpx.AsyncBaseTransport],
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = ImpulseSettings(
        base_url=f"http://127.0.0.1:{port}", api_key="k", retry_wait=0, read_retries=1
    )
    async with httpx.AsyncClient(transport=transport()) as http:
        client = ImpulseClient(
            http=http,
            settings=settings,
            tz=ZoneInfo("Asia/Vladivostok"),
            now=lambda: datetime(2026, 3, 2, tzinfo=UTC),
        )
        with pytest.raises(CrmUnavailable) as caught:
            await client.get_groups()
        assert type(caught.value) is CrmUnavailable
        assert await client.health_check() is False
