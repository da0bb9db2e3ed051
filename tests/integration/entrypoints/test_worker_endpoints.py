"""The worker's own ``/metrics`` and ``/health`` server (uvicorn inside the worker) on a real
port: what it answers, a taken port, and that the process's signal handlers stay the worker's."""

from __future__ import annotations

import signal
import socket

import httpx
from prometheus_client import CONTENT_TYPE_LATEST
from structlog.testing import capture_logs

from dancebot.entrypoints.observability import WorkerHealth, serve_worker_endpoints


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_metrics_and_health_are_served_then_the_port_is_freed() -> None:
    port = _free_port()
    async with serve_worker_endpoints(port, WorkerHealth(), host="127.0.0.1") as served:
        assert served == port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            metrics = await http.get("/metrics")
            health = await http.get("/health")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"] == CONTENT_TYPE_LATEST
    assert "# TYPE " in metrics.text
    assert health.status_code == 503  # no services yet
    assert health.json() == {"status": "starting"}
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))  # nothing listens there any more


async def test_a_taken_port_is_logged_not_fatal() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with capture_logs() as logs:
            async with serve_worker_endpoints(port, WorkerHealth(), host="127.0.0.1") as served:
                assert served is None
    assert [e["event"] for e in logs] == ["worker_endpoints_unavailable"]


async def test_port_zero_serves_nothing() -> None:
    async with serve_worker_endpoints(0, WorkerHealth()) as served:
        assert served is None


async def test_the_server_leaves_the_signal_handlers_alone() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    port = _free_port()
    async with serve_worker_endpoints(port, WorkerHealth(), host="127.0.0.1"):
        async with httpx.AsyncClient() as http:  # the server is up, its loop running
            assert (await http.get(f"http://127.0.0.1:{port}/metrics")).status_code == 200
        during = {sig: signal.getsignal(sig) for sig in before}
    after = {sig: signal.getsignal(sig) for sig in before}
    assert during == before and after == before
