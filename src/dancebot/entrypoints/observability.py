"""What a process tells its operator: the storage checks ``/health`` shares between the app
and the worker, and the worker's own small HTTP server with ``/metrics`` and ``/health``
(``WORKER_METRICS_PORT``, default 9100; compose's healthcheck probes it).

The worker's ``/health`` never calls the CRM: it reports the breaker's state from Redis, and
whether the due-work loop is alive (its last tick within ``STALE_AFTER_SECONDS``).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import structlog
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dancebot.entrypoints.bootstrap import Services

log = structlog.get_logger(__name__)

STALE_AFTER_SECONDS = 60.0  # the due-work loop ticks every 5 s
_STOP_WAIT_SECONDS = 5.0


async def storage_report(services: Services) -> dict[str, str]:
    """``redis`` and ``db``: "ok" or "down: {error}". Never raises."""
    report: dict[str, str] = {}
    try:
        await services.redis.ping()
        report["redis"] = "ok"
    except Exception as exc:  # the report names the failure; it never raises
        report["redis"] = f"down: {type(exc).__name__}"
    try:
        async with services.db.connect() as conn:
            await conn.execute(text("select 1"))
        report["db"] = "ok"
    except Exception as exc:
        report["db"] = f"down: {type(exc).__name__}"
    return report


class WorkerHealth:
    """The worker's health: set ``services`` once built, call ``ticked`` after each due-work
    tick."""

    def __init__(self, *, stale_after: float = STALE_AFTER_SECONDS) -> None:
        self.services: Services | None = None
        self._stale_after = stale_after
        self._last_tick: float | None = None

    def ticked(self) -> None:
        self._last_tick = time.monotonic()

    async def report(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): 200 when Redis, the database and the loop are fine."""
        services = self.services
        if services is None:
            return 503, {"status": "starting"}
        report: dict[str, Any] = dict(await storage_report(services))
        try:
            report["crm_breaker"] = (await services.crm.state()).value
        except Exception as exc:
            report["crm_breaker"] = f"unknown: {type(exc).__name__}"
        age = None if self._last_tick is None else time.monotonic() - self._last_tick
        report["due_work"] = "waiting" if age is None else f"{age:.0f} s ago"
        alive = age is None or age <= self._stale_after
        healthy = report["redis"] == "ok" and report["db"] == "ok" and alive
        report["status"] = "ok" if healthy else "down"
        return (200 if healthy else 503), report


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the worker: the process's signals stay arq's (uvicorn would take
    SIGINT/SIGTERM for itself while it runs, and raise them again when it stops)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def worker_endpoints_app(health: WorkerHealth) -> Starlette:
    """``GET /metrics`` (Prometheus) and ``GET /health`` (``health.report()``)."""

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        status, body = await health.report()
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/metrics", metrics), Route("/health", healthz)])


@asynccontextmanager
async def serve_worker_endpoints(
    port: int, health: WorkerHealth, *, host: str = "0.0.0.0"
) -> AsyncIterator[int | None]:
    """Serve ``/metrics`` and ``/health`` on ``port`` (0: not at all) while inside; yields
    the port served, or None. A port already taken is logged, not fatal: the worker's real
    job is delivery."""
    if port == 0:
        yield None
        return
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        log.warning("worker_endpoints_unavailable", port=port, error=str(exc)[:200])
        yield None
        return
    config = uvicorn.Config(
        worker_endpoints_app(health),
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    log.info("worker_endpoints_serving", port=port)
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait({serving}, timeout=_STOP_WAIT_SECONDS)
        serving.cancel()
        sock.close()
