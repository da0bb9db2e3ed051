"""Fault injection (over HTTP and the Python API) and the other ``/_emulator/*`` controls."""

from __future__ import annotations

import time

import httpx
import pytest
from tests.integration.emulator.emulator_support import API_PATH, Crm

from dancebot.adapters.crm.impulse.emulator import EmulatorState


async def set_fault(http: httpx.AsyncClient, mode: str, delay: float | None = None) -> None:
    body: dict[str, object] = {"mode": mode}
    if delay is not None:
        body["delay"] = delay
    response = await http.post("/_emulator/fault", json=body)
    assert response.status_code == 200
    assert response.json()["mode"] == mode


async def test_down_answers_503_html(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "down")

    response = await crm.call("style", "list")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")


async def test_rate_limit_answers_429_with_retry_after(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "rate_limit")

    response = await crm.call("style", "list")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


async def test_login_page_even_with_a_good_key(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "login_page")

    response = await crm.load("client", 500)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form action="/login"' in response.text


async def test_slow_answers_normally_after_the_delay(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "slow", delay=0.3)

    started = time.monotonic()
    response = await crm.call("style", "list")
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3
    assert response.status_code == 200 and response.json()["total"] == 7


async def test_slow_default_delay_outlasts_client_timeouts(state: EmulatorState) -> None:
    state.set_fault("slow")

    assert state.fault.delay == 35.0


async def test_none_restores_normal_answers(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "down")
    await set_fault(http, "none")

    assert (await crm.call("style", "list")).status_code == 200


async def test_controls_work_during_a_fault(http: httpx.AsyncClient, crm: Crm) -> None:
    await set_fault(http, "down")

    snapshot = await http.get("/_emulator/state")

    assert snapshot.status_code == 200
    assert len(snapshot.json()["schedule"]) == 22


async def test_python_api_sets_the_fault(state: EmulatorState, crm: Crm) -> None:
    state.set_fault("rate_limit")
    limited = await crm.call("style", "list")
    state.set_fault("none")
    normal = await crm.call("style", "list")

    assert limited.status_code == 429
    assert normal.status_code == 200


@pytest.mark.parametrize("body", [{"mode": "flaky"}, {"mode": "slow", "delay": -1}])
async def test_bad_fault_is_refused(http: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await http.post("/_emulator/fault", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation"


async def test_reset_restores_the_seed(
    http: httpx.AsyncClient, crm: Crm, state: EmulatorState
) -> None:
    seeded = state.snapshot()
    await crm.book(510, 100, "2026-03-04")
    await crm.delete("reservation", 9000)
    assert state.snapshot() != seeded

    response = await http.post("/_emulator/reset")

    assert response.status_code == 200
    assert state.snapshot() == seeded
    again = await crm.book(510, 100, "2026-03-04")
    assert again.json()["id"] == 9104  # ids start over too


async def test_state_endpoint_shows_everything_as_stored(http: httpx.AsyncClient) -> None:
    snapshot = (await http.get("/_emulator/state")).json()

    assert snapshot["timezone"] == "Asia/Vladivostok"
    cancelled = next(item for item in snapshot["reservation"] if item["id"] == 9001)
    assert cancelled == {
        "id": 9001,
        "client": 501,
        "schedule": 100,
        "date": "2026-03-04",
        "deleted": True,
        "created": None,
    }
    assert snapshot["schedule"][0]["dateBegin"] == "2026-01-01"


async def test_unknown_control_is_html_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/_emulator/explode")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_api_path_is_untouched_by_controls(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{API_PATH}/_emulator/reset", json={})

    assert response.status_code == 404
