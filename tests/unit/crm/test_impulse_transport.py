"""Transport failures and what the client sends, with the HTTP layer faked at the transport
(everything above it — URL, auth, retries, error mapping — runs for real)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from dancebot.adapters.crm.impulse.client import ImpulseClient
from dancebot.adapters.crm.impulse.settings import ImpulseSettings
from dancebot.domain.errors import CrmAuthError, CrmTimeout, CrmUnavailable

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **settings: object) -> ImpulseClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    config = ImpulseSettings.model_validate(
        {"base_url": "https://studio.impulsecrm.ru", "api_key": "k", "retry_wait": 0} | settings
    )
    return ImpulseClient(
        http=http,
        settings=config,
        tz=ZoneInfo("Asia/Vladivostok"),
        now=lambda: datetime(2026, 3, 1, tzinfo=UTC),
    )


async def test_connect_error_is_unavailable_after_retries() -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    client = make_client(refuse, read_retries=2)
    with pytest.raises(CrmUnavailable) as caught:
        await client.get_groups()

    assert type(caught.value) is CrmUnavailable
    assert len(calls) == 3


async def test_httpx_timeout_is_crm_timeout() -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(CrmTimeout):
        await make_client(time_out, read_retries=0).get_groups()


async def test_auth_error_is_not_retried_and_health_check_says_false() -> None:
    calls: list[httpx.Request] = []

    def login_page(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, html='<form action="/login"></form>')

    client = make_client(login_page, read_retries=3)
    with pytest.raises(CrmAuthError):
        await client.get_groups()
    assert len(calls) == 1
    assert await client.health_check() is False


async def test_list_request_carries_auth_paging_and_columns() -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = json.loads(request.content)["page"]
        items = [{"id": page, "name": f"g{page}", "placeCount": 5}]
        return httpx.Response(200, json={"total": 3, "items": items})

    groups = await make_client(pages, page_size=1, auth_scheme="raw").get_groups()

    assert [group.id for group in groups] == [1, 2, 3]
    first = seen[0]
    assert str(first.url) == "https://studio.impulsecrm.ru/api/public/group/list"
    assert first.headers["authorization"] == "Basic k"
    body = json.loads(first.content)
    assert body["limit"] == 1
    assert body["columns"] == {"deleted": False, "archived": False}
    assert [json.loads(r.content)["page"] for r in seen] == [1, 2, 3]
