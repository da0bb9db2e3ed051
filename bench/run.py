"""``make bench`` / ``make bench-quick``: the app against the floor on this machine.

    uv run python -m bench.run [--quick] [--json var/bench.json]

Starts (all on 127.0.0.1, free ports): the fake Telegram in this process, the Impulse
emulator, the floor (bench/floor.py: app + sender), then ``dancebot serve`` + ``dancebot
worker`` on the local Redis (its own key prefix) and a fresh PostgreSQL database. Prints a
table of floor / app / ratio / target / load average and writes it as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from bench import engine, pipeline
from bench.common import (
    LOOPBACK,
    PYTHON,
    Processes,
    dancebot,
    free_port,
    load_average,
    rss_mb,
    spawn,
    wait_http_ok,
)
from bench.conversations import conversations
from bench.load import UpdateFactory
from dancebot.entrypoints.logging import configure_logging
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.serve import serve_app

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/14")
ADMIN_DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@localhost:5432/test")
SECRET = "bench-webhook-secret"


@dataclass(frozen=True)
class Plan:
    ack_rates: tuple[float, ...]
    ack_seconds: float
    max_seconds: float
    e2e_rate: float
    e2e_seconds: float
    burst: int
    slow_crm_seconds: float
    engine_conversations: int


FULL = Plan((50, 200), 10, 5, 20, 30, 600, 60, 100)
QUICK = Plan((50, 200), 3, 3, 20, 8, 150, 9, 16)


@dataclass
class Report:
    rows: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        metric: str,
        floor: float | None,
        app: float | None,
        *,
        unit: str,
        target: str = "",
        better: str = "lower",
        load: float | None = None,
    ) -> None:
        ratio = None
        if floor and app is not None:
            ratio = round(app / floor, 2) if better == "lower" else round(floor / app, 2)
        self.rows.append(
            {
                "metric": metric,
                "unit": unit,
                "floor": floor,
                "app": app,
                "ratio": ratio,
                "target": target,
                "load": load if load is not None else load_average(),
            }
        )

    def table(self) -> str:
        head = f"{'metric':38} {'floor':>9} {'app':>9} {'ratio':>7}  {'target':24} {'load':>5}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r['metric'] + ' (' + r['unit'] + ')':38} {_fmt(r['floor']):>9} "
                f"{_fmt(r['app']):>9} {_fmt(r['ratio']):>7}  {r['target']:24} {r['load']:>5}"
            )
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.update(extra)
    return env


async def _measure_http(
    name: str,
    target: pipeline.Target,
    plan: Plan,
    raw: dict[str, Any],
    before_ack: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Warm up (the first reply: every process is up), then e2e, burst, ``before_ack``, and
    the ack phases last: their replies queue behind the channel's rate limit."""
    out: dict[str, Any] = {}
    out["warmup_s"] = round(await pipeline.warm_up(target), 2)
    out["e2e"] = await pipeline.end_to_end(target, rate=plan.e2e_rate, seconds=plan.e2e_seconds)
    out["e2e"]["load"] = load_average()
    out["burst"] = await pipeline.burst(target, count=plan.burst)
    out["burst"]["load"] = load_average()
    if before_ack is not None:
        out["slow_crm"] = await before_ack()
    for rate in plan.ack_rates:
        out[f"ack@{rate:g}"] = await pipeline.ack(target, rate=rate, seconds=plan.ack_seconds)
        out[f"ack@{rate:g}"]["load"] = load_average()
    out["ack_max"] = await pipeline.ack_max(target, seconds=plan.max_seconds)
    out["ack_max"]["load"] = load_average()
    raw[name] = out
    print(f"  {name}: {json.dumps(out, ensure_ascii=False)}", flush=True)
    return out


async def _floor(
    plan: Plan, *, tg_url: str, telegram: FakeTelegram, logs: Path, procs: Processes
) -> dict[str, Any]:
    port, prefix = free_port(), f"bench-floor-{uuid.uuid4().hex[:8]}"
    common = ["--redis", REDIS_URL, "--prefix", prefix]
    app = procs.add(
        spawn(
            "floor-app",
            [
                PYTHON,
                "-m",
                "bench.floor",
                "app",
                "--port",
                str(port),
                "--consume",
                "--secret",
                SECRET,
                *common,
            ],
            env=_env(),
            log_dir=logs,
        )
    )
    startup = await wait_http_ok(f"http://{LOOPBACK}:{port}/health", process=app)
    sender = procs.add(
        spawn(
            "floor-sender",
            [
                PYTHON,
                "-m",
                "bench.floor",
                "sender",
                "--telegram",
                tg_url,
                "--token",
                telegram.token,
                *common,
            ],
            env=_env(),
            log_dir=logs,
        )
    )
    target = pipeline.Target(f"http://{LOOPBACK}:{port}", telegram, UpdateFactory(SECRET))
    raw: dict[str, Any] = {}
    out = await _measure_http("floor", target, plan, raw)
    out["startup_s"] = round(startup, 2)
    out["rss_mb"] = (rss_mb(app.pid), rss_mb(sender.pid))
    app.stop()
    sender.stop()
    await _forget(prefix)
    return out


async def _app(
    plan: Plan,
    *,
    tg_url: str,
    telegram: FakeTelegram,
    emulator_url: str,
    logs: Path,
    procs: Processes,
) -> dict[str, Any]:
    port, prefix = free_port(), f"bench-app-{uuid.uuid4().hex[:8]}"
    dsn = await engine.create_database(ADMIN_DSN)
    env = _env(
        REDIS_URL=REDIS_URL,
        DANCEBOT_REDIS_PREFIX=prefix,
        DATABASE_URL=dsn,
        DANCEBOT_VAR_DIR=str(logs),
        IMPULSE_BASE_URL=emulator_url,
        IMPULSE_API_KEY="emulator-key",
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE=tg_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        LOG_FORMAT="json",
    )
    try:
        # the first start migrates the fresh database; the measured start is the second
        first = procs.add(
            spawn(
                "app-first",
                dancebot("serve", "--host", LOOPBACK, "--port", str(port)),
                env=env,
                log_dir=logs,
            )
        )
        await wait_http_ok(f"http://{LOOPBACK}:{port}/health", process=first, seconds=120)
        first.stop()
        app = procs.add(
            spawn(
                "app",
                dancebot("serve", "--host", LOOPBACK, "--port", str(port)),
                env=env,
                log_dir=logs,
            )
        )
        startup = await wait_http_ok(f"http://{LOOPBACK}:{port}/health", process=app)
        worker = procs.add(spawn("worker", dancebot("worker"), env=env, log_dir=logs))
        target = pipeline.Target(
            f"http://{LOOPBACK}:{port}", telegram, UpdateFactory(SECRET, first_chat=7_100_000_000)
        )
        raw: dict[str, Any] = {}
        out = await _measure_http(
            "app", target, plan, raw, before_ack=lambda: _slow_crm(plan, target, emulator_url)
        )
        out["startup_s"] = round(startup, 2)
        out["rss_mb"] = (rss_mb(app.pid), rss_mb(worker.pid))
        app.stop()
        worker.stop()
    finally:
        await _forget(prefix)
        await engine.drop_database(ADMIN_DSN, dsn)
    return out


async def _slow_crm(plan: Plan, target: pipeline.Target, emulator_url: str) -> dict[str, Any]:
    count = int(plan.slow_crm_seconds * 10 / 3)
    talks = conversations(count, run=int(time.time()) % 89)
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        await client.post("/_emulator/fault", json={"mode": "slow", "delay": 0.1})
        try:
            result = await pipeline.booking_turns(
                target, talks, msg_rate=10, first_chat=7_200_000_000
            )
        finally:
            await client.post("/_emulator/fault", json={"mode": "none"})
    result["load"] = load_average()
    return result


async def _forget(prefix: str) -> None:
    redis = aioredis.from_url(REDIS_URL)
    async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        await redis.delete(key)
    await redis.aclose()


async def _engine(plan: Plan, logs: Path, procs: Processes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n = plan.engine_conversations
    emb = logs / "embedded"
    emb.mkdir()
    out["embedded_floor"] = await engine.engine_floor(
        n * 3, tmp=emb, redis_url=None, database_url=None
    )
    out["embedded"], out["embedded_booked"] = await engine.engine_rate(
        n, tmp=emb, redis_url=None, database_url=None
    )
    out["embedded_load"] = load_average()
    dsn = await engine.create_database(ADMIN_DSN)
    try:
        out["servers_floor"] = await engine.engine_floor(
            n * 3, tmp=logs, redis_url=REDIS_URL, database_url=dsn
        )
        crm_url = await _emulator(logs, procs)  # a fresh one: nothing booked yet
        out["servers"], out["servers_booked"] = await engine.engine_rate(
            n, tmp=logs, redis_url=REDIS_URL, database_url=dsn, crm_url=crm_url
        )
        out["servers_load"] = load_average()
    finally:
        await engine.drop_database(ADMIN_DSN, dsn)
    print(f"  engine: {out}", flush=True)
    return out


async def _emulator(logs: Path, procs: Processes) -> str:
    port = free_port()
    process = procs.add(
        spawn(
            "emulator",
            dancebot("emulator", "--port", str(port), "--host", LOOPBACK),
            env=_env(IMPULSE_API_KEY="emulator-key"),
            log_dir=logs,
        )
    )
    url = f"http://{LOOPBACK}:{port}"
    await wait_http_ok(url + "/_emulator/state", process=process)
    return url


def _table(floor: dict[str, Any], app: dict[str, Any], eng: dict[str, Any]) -> Report:
    r = Report()
    for key in [k for k in app if k.startswith("ack@")]:
        r.add(
            f"ack p50 {key[4:]}/s",
            floor[key]["p50_ms"],
            app[key]["p50_ms"],
            unit="ms",
            load=app[key]["load"],
        )
        r.add(
            f"ack p95 {key[4:]}/s",
            floor[key]["p95_ms"],
            app[key]["p95_ms"],
            unit="ms",
            load=app[key]["load"],
        )
    r.add(
        "ack max (closed loop)",
        floor["ack_max"]["req_per_s"],
        app["ack_max"]["req_per_s"],
        unit="req/s",
        better="higher",
        load=app["ack_max"]["load"],
    )
    r.add(
        "e2e reply p50 @20/s",
        floor["e2e"]["p50_ms"],
        app["e2e"]["p50_ms"],
        unit="ms",
        target="≤ 15× floor",
        load=app["e2e"]["load"],
    )
    r.add(
        "e2e reply p95 @20/s",
        floor["e2e"]["p95_ms"],
        app["e2e"]["p95_ms"],
        unit="ms",
        target="≤ 25× floor",
        load=app["e2e"]["load"],
    )
    r.add(
        "burst drain",
        floor["burst"]["msg_per_s"],
        app["burst"]["msg_per_s"],
        unit="msg/s",
        target="≥ 27 (limit 30/s)",
        better="higher",
        load=app["burst"]["load"],
    )
    r.add(
        "engine embedded, 8 in flight",
        eng["embedded_floor"],
        eng["embedded"],
        unit="msg/s",
        target="≥ 200",
        better="higher",
        load=eng["embedded_load"],
    )
    r.add(
        "engine Redis+PG, 8 in flight",
        eng["servers_floor"],
        eng["servers"],
        unit="msg/s",
        target="≥ 150",
        better="higher",
        load=eng["servers_load"],
    )
    r.add("RSS app after load", floor["rss_mb"][0], app["rss_mb"][0], unit="MB", target="≤ 150")
    r.add("RSS worker after load", floor["rss_mb"][1], app["rss_mb"][1], unit="MB", target="≤ 150")
    r.add("startup to /health 200", floor["startup_s"], app["startup_s"], unit="s", target="≤ 3")
    slow = app["slow_crm"]
    r.add("booking turn p50, CRM 100 ms", None, slow["p50_ms"], unit="ms", load=slow["load"])
    r.add(
        "  its growth last/first third",
        None,
        slow["growth"],
        unit="×",
        target="≤ 1.5",
        load=slow["load"],
    )
    for row in r.rows:
        row["value"] = row["app"]
    for key in ("embedded", "servers", "embedded_floor", "servers_floor"):
        eng[key] = round(eng[key], 1)
    r.rows = [{**row, "app": _round(row["app"]), "floor": _round(row["floor"])} for row in r.rows]
    return r


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def main_async(quick: bool, json_path: Path) -> int:
    plan = QUICK if quick else FULL
    configure_logging(level="WARNING")
    began = time.monotonic()
    procs = Processes()
    telegram = FakeTelegram()
    print(
        f"bench ({'quick' if quick else 'full'}); load average at start {load_average()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="dancebot-bench-") as tmp:
        logs = Path(tmp)
        try:
            async with serve_app(create_fake_telegram_app(telegram)) as tg_url:
                emulator_url = await _emulator(logs, procs)
                floor = await _floor(plan, tg_url=tg_url, telegram=telegram, logs=logs, procs=procs)
                app = await _app(
                    plan,
                    tg_url=tg_url,
                    telegram=telegram,
                    emulator_url=emulator_url,
                    logs=logs,
                    procs=procs,
                )
            procs.stop_all()
            eng = await _engine(plan, logs, procs)
            procs.stop_all()
        except BaseException:
            procs.stop_all()
            _show_logs(logs)
            raise
    report = _table(floor, app, eng)
    print()
    print(report.table())
    elapsed = round(time.monotonic() - began, 1)
    print(f"\n{elapsed} s; load average now {load_average()} (2 cores: above ~2 is disturbed)")
    _write_json(
        json_path,
        quick=quick,
        elapsed=elapsed,
        report=report,
        raw={"floor": floor, "app": app, "engine": eng},
    )
    print(f"written {json_path}")
    return 0


def _write_json(
    path: Path, *, quick: bool, elapsed: float, report: Report, raw: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"plan": "quick" if quick else "full", "seconds": elapsed, "rows": report.rows}
    path.write_text(json.dumps({**body, "raw": raw}, ensure_ascii=False, indent=2, default=str))


def _show_logs(logs: Path) -> None:
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print(f"--- {log.name} (last lines)\n" + "\n".join(tail))


Run = Callable[[], Awaitable[int]]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=Path("var/bench.json"))
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main_async(args.quick, args.json)))


if __name__ == "__main__":
    main()
