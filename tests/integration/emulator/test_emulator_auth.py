"""Authentication and the HTML failure modes: every accepted key encoding works, anything
else gets the real CRM's HTTP 200 login page, unknown paths get an HTML 404."""

from __future__ import annotations

import httpx
import pytest
from tests.integration.emulator.emulator_support import API_KEY, API_PATH, basic

from dancebot.adapters.crm.impulse.emulator import EmulatorState, create_emulator_app


def client_for(state: EmulatorState, authorization: str | None) -> httpx.AsyncClient:
    app = create_emulator_app(state, api_key=API_KEY, api_path=API_PATH)
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://emulator", headers=headers
    )


def assert_login_page(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    assert '<form action="/login" method="post"' in response.text
    assert 'type="password"' in response.text


@pytest.mark.parametrize(
    "authorization",
    [basic(f"{API_KEY}:"), basic(f":{API_KEY}"), f"Basic {API_KEY}", f"basic {API_KEY}"],
    ids=["key_colon", "colon_key", "raw", "lowercase-scheme"],
)
async def test_each_key_encoding_is_accepted(state: EmulatorState, authorization: str) -> None:
    async with client_for(state, authorization) as http:
        response = await http.post(f"{API_PATH}/style/list", json={})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["total"] == 7


@pytest.mark.parametrize(
    "authorization",
    [None, basic("wrong-key:"), f"Bearer {API_KEY}", "Basic ", basic(f"{API_KEY}x:")],
    ids=["missing", "wrong-key", "bearer", "empty-token", "longer-key"],
)
async def test_bad_credentials_get_the_login_page(
    state: EmulatorState, authorization: str | None
) -> None:
    async with client_for(state, authorization) as http:
        listed = await http.post(f"{API_PATH}/client/list", json={})
        loaded = await http.get(f"{API_PATH}/client/load", params={"id": 500})

    assert_login_page(listed)
    assert_login_page(loaded)


async def test_bad_key_changes_nothing(state: EmulatorState) -> None:
    before = state.snapshot()
    async with client_for(state, basic("wrong:")) as http:
        response = await http.post(f"{API_PATH}/client/update", json={"name": "X", "phone": "7"})

    assert_login_page(response)
    assert state.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        f"{API_PATH}/lesson/list",
        f"{API_PATH}/client/search",
        "/api/client/list",
        f"{API_PATH}/client",
        "/",
    ],
)
async def test_unknown_paths_get_an_html_404(http: httpx.AsyncClient, path: str) -> None:
    response = await http.post(path, json={})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "404" in response.text


async def test_wrong_method_is_an_html_error(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{API_PATH}/client/list")

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "POST"


async def test_custom_api_path(state: EmulatorState) -> None:
    app = create_emulator_app(state, api_key="k", api_path="api/")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://emulator",
        headers={"Authorization": basic("k:")},
    ) as http:
        moved = await http.post("/api/hall/list", json={})
        default = await http.post("/api/public/hall/list", json={})

    assert moved.json()["total"] == 2
    assert default.status_code == 404


async def test_controls_need_no_auth(state: EmulatorState) -> None:
    async with client_for(state, None) as http:
        response = await http.get("/_emulator/state")

    assert response.status_code == 200
    assert len(response.json()["style"]) == 7


async def test_requests_are_logged_without_the_key(
    http: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await http.post(f"{API_PATH}/client/list", json={"columns": {"phone": "79990010501"}})

    captured = capsys.readouterr()
    logged = captured.out + captured.err
    assert "emulator_request" in logged
    assert f"{API_PATH}/client/list" in logged and "200" in logged
    assert API_KEY not in logged
    assert basic(f"{API_KEY}:").split()[1] not in logged
    assert "79990010501" not in logged
