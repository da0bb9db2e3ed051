"""The emulator over real TCP: a uvicorn server on a free localhost port (in this event loop),
and ``run_emulator`` as a separate process, the way ``dancebot emulator`` runs it."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from tests.integration.emulator.emulator_support import API_KEY, API_PATH, REPO, STUDIO_SEED, basic

from dancebot.adapters.crm.impulse.emulator import EmulatorState, create_emulator_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(state: EmulatorState) -> AsyncIterator[str]:
    """The emulator app behind a real uvicorn server; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_emulator_app(state, api_key=API_KEY, api_path=API_PATH)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


async def test_list_and_book_over_tcp(served: str) -> None:
    headers = {"Authorization": basic(f":{API_KEY}")}
    async with httpx.AsyncClient(base_url=served, headers=headers) as http:
        rules = await http.post(f"{API_PATH}/schedule/list", json={"columns": {"group": 31}})
        booked = await http.post(
            f"{API_PATH}/reservation/update",
            json={"client": 510, "schedule": 100, "date": 1772582400},
        )

    assert rules.status_code == 200
    assert sorted(item["id"] for item in rules.json()["items"]) == [131, 133]
    assert booked.status_code == 200 and booked.json()["id"] == 9104


async def test_slow_fault_times_the_client_out(served: str, state: EmulatorState) -> None:
    state.set_fault("slow", delay=1.0)
    headers = {"Authorization": basic(f"{API_KEY}:")}

    async with httpx.AsyncClient(base_url=served, headers=headers, timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(f"{API_PATH}/style/list", json={})


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``run_emulator`` in a child process; yields its base URL and state file."""
    port = free_port()
    state_file = tmp_path / "state.json"
    code = (
        "from pathlib import Path\n"
        "from dancebot.adapters.crm.impulse.emulator.server import run_emulator\n"
        f"run_emulator(seed=Path({str(STUDIO_SEED)!r}), port={port}, api_key='proc-key',\n"
        f"             api_path='/api/public', state_file=Path({str(state_file)!r}))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, "the emulator process exited early"
            try:
                httpx.get(f"{base}/_emulator/state", timeout=0.5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the emulator did not start in 15 s"
                time.sleep(0.1)
        yield base, state_file
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_run_emulator_serves_the_seed(emulator_process: tuple[str, Path]) -> None:
    base, state_file = emulator_process
    good = {"Authorization": "Basic proc-key"}

    styles = httpx.post(f"{base}/api/public/style/list", json={}, headers=good)
    login = httpx.post(f"{base}/api/public/style/list", json={}, headers={"Authorization": "x"})
    client = httpx.post(
        f"{base}/api/public/client/update",
        json={"name": "Мария", "phone": "79991234567"},
        headers=good,
    )

    assert styles.json()["total"] == 7
    assert login.status_code == 200 and login.headers["content-type"].startswith("text/html")
    assert client.json()["id"] == 520
    assert '"79991234567"' in state_file.read_text(encoding="utf-8")
