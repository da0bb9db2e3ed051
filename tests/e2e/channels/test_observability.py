"""Observability over HTTP: the app's /health does not call the CRM on every probe and its
failed probes never open the breaker; the app counts reply times and bookings by outcome;
the worker serves /metrics (sends, retries, dead letters, reminders, CRM latency, breaker
state, fallback queue depth) and a /health compose can use."""

from __future__ import annotations

import asyncio
import re
import socket

import httpx
from arq.worker import Worker
from tests.e2e.channels.conftest import Stack, until

from dancebot.adapters.crm.breaker import BreakerState
from dancebot.entrypoints.worker_process import worker_for
from dancebot.testing.fake_telegram.updates import text_update


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in metrics.splitlines():
        if not line.startswith(name):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if line[len(name)] in "{ " and all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def _metrics(stack: Stack) -> str:
    return (await stack.http.get(f"{stack.url}/metrics")).text


async def test_health_uses_a_cached_check_and_never_opens_the_breaker(stack: Stack) -> None:
    checks = "dancebot_crm_request_seconds_count"
    before = _sample(await _metrics(stack), checks, method="health_check")
    for _ in range(10):
        assert (await stack.http.get(f"{stack.url}/health")).json()["crm"] == "ok"
    after = _sample(await _metrics(stack), checks, method="health_check")
    assert after - before <= 1  # ten probes, at most one real check

    stack.emulator.set_fault("down")
    try:
        for _ in range(5):  # every probe finds the cache gone and the CRM down
            await stack.redis.delete(stack.keys.crm_health())
            report = (await stack.http.get(f"{stack.url}/health")).json()
            assert report["crm"] == "down" and report["status"] == "degraded"
        runtime = stack.app.state.runtime
        assert await runtime.services.crm.state() is BreakerState.CLOSED  # not opened by probes
    finally:
        stack.emulator.set_fault("none")


async def test_the_app_counts_reply_times_and_bookings_by_outcome(stack: Stack) -> None:
    before = await _metrics(stack)
    for n, text in enumerate(["Хочу на контемп в среду в 19", "Мария +7 999 123-45-67", "да"]):
        update = text_update(4004, text, message_id=n + 1, date=stack.clock.now())
        assert (await stack.post_telegram(update)).status_code == 200
        await stack.settle()
    after = await _metrics(stack)
    replies = "dancebot_reply_seconds_count"
    assert (
        _sample(after, replies, channel="telegram") - _sample(before, replies, channel="telegram")
        == 3
    )
    created = "dancebot_bookings_total"
    assert (
        _sample(after, created, outcome="created") - _sample(before, created, outcome="created")
        == 1
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_worker_serves_metrics_and_health(stack: Stack) -> None:
    update = text_update(5005, "сколько стоит контемп", date=stack.clock.now())
    await stack.post_telegram(update)
    port = _free_port()
    settings = stack.settings.model_copy(update={"worker_metrics_port": port})
    worker = Worker(
        **worker_for(settings, clock=stack.clock, keys=stack.keys),
        poll_delay=0.05,
        handle_signals=False,
    )
    running = asyncio.create_task(worker.async_run())
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:

            async def healthy() -> bool:
                try:
                    answer = await http.get(f"{base}/health")
                except httpx.TransportError:
                    return False
                return answer.status_code == 200 and "s ago" in answer.json()["due_work"]

            await until(healthy, seconds=20)
            report = (await http.get(f"{base}/health")).json()
            assert report["redis"] == "ok" and report["db"] == "ok"
            assert report["crm_breaker"] == "closed"

            async def delivered() -> bool:
                return bool(stack.telegram.sent_messages(5005))

            await until(delivered, seconds=20)
            metrics = (await http.get(f"{base}/metrics")).text
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()
    assert _sample(metrics, "dancebot_outbound_sent_total", channel="telegram") >= 1
    for name in (
        "dancebot_outbound_retries_total",
        "dancebot_outbound_given_up_total",
        "dancebot_reminders_sent_total",
        "dancebot_reminders_late_total",
        "dancebot_crm_request_seconds",
        "dancebot_crm_breaker_state",
        "dancebot_fallback_queue_depth",
        "dancebot_dead_letters_open",
    ):
        assert f"# TYPE {name}" in metrics, name
    assert _sample(metrics, "dancebot_crm_breaker_state") == 0
