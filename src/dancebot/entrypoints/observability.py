"""What a process tells its operator: the storage checks ``/health`` shares between the app
and the worker, and the worker's own small HTTP server with ``/metrics`` and ``/health``
(``WORKER_METRICS_PORT``, default 9100; compose's healthcheck probes it).

The worker's ``/health`` never calls the CRM: it reports the breaker's state from Redis, and
whether the due-work loop is alive (its last tick within ``STALE_AFTER_SECONDS``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from dancebot.entrypoints.bootstrap import Services

log = structlog.get_logger(__name__)

STALE_AFTER_SECONDS = 60.0  # the due-work loop ticks every 5 s


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

    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_: web.Request) -> web.Response:
        status, body = await health.report()
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/health", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            log.warning("worker_endpoints_unavailable", port=port, error=str(exc)[:200])
            yield None
            return
        log.info("worker_endpoints_serving", port=port)
        yield port
    finally:
        await runner.cleanup()
