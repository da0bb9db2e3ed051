"""``make chaos``: booking conversations over HTTP while the app, the worker and Redis die.

    uv run python -m bench.chaos [--conversations 100] [--kills 8] [--seed 1]

Starts, all on 127.0.0.1: its own Redis (AOF, fsync always) on a free port, the Impulse
emulator, the fake Telegram (in this process), a fresh PostgreSQL database, ``dancebot
serve`` and ``dancebot worker``. Runs N booking conversations (request, name + phone, "да");
meanwhile SIGKILLs the app or the worker at random moments and restarts them, and restarts
Redis once. An update the webhook did not answer 200 is posted again, as Telegram does.

Checks, and exits 1 when one fails: every chat got its receipt; each conversation's phone
has exactly one reservation in the CRM; no chat got the same bot message twice.

A worker SIGKILLed after Telegram took a message and before its sent marker is written
sends it again on restart (D14: the Bot API has no idempotency key), unless a later message
reached the chat meanwhile (D84). Such a repeat is reported apart, as accepted, when a
worker kill fell between the two copies and within ``MID_SEND_SECONDS`` of the first (the
kill cut that send off); any other repeated message fails the run (D85).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.common import (
    LOOPBACK,
    Process,
    dancebot,
    free_port,
    load_average,
    median,
    percentile,
    spawn,
    wait_http_ok,
)
from bench.conversations import RECEIPT, Conversation, conversations
from bench.engine import create_database, drop_database
from bench.load import UpdateFactory
from dancebot.adapters.storage.db.engine import database_url
from dancebot.adapters.storage.db.migrate import upgrade_database
from dancebot.entrypoints.logging import configure_logging
from dancebot.testing.fake_telegram import FakeTelegram, create_fake_telegram_app
from dancebot.testing.serve import serve_app

ADMIN_DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@localhost:5432/test")
SECRET = "chaos-webhook-secret"
TURN_SECONDS = 240.0  # a turn may wait for a restart plus the reclaim of a dead consumer's entry
FIRST_CHAT = 7_300_000_000
# a worker kill this soon after the channel took a message can have cut its send off before
# the sent marker was written (D14); a repeat with no such kill between its copies is a bug
MID_SEND_SECONDS = 1.0


@dataclass
class Figures:
    kills: collections.Counter[str] = field(default_factory=collections.Counter)
    unexpected_exits: collections.Counter[str] = field(default_factory=collections.Counter)
    redeliveries: int = 0
    turns: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    worker_kills: list[float] = field(default_factory=list)  # time.time() of each SIGKILL
    accepted: list[str] = field(default_factory=list)  # repeats a kill mid-send explains


class Stack:
    """The processes under test and how to kill and restart each."""

    def __init__(self, tmp: Path, env: dict[str, str], app_port: int, redis_port: int) -> None:
        self.tmp = tmp
        self.env = env
        self.app_port = app_port
        self.redis_port = redis_port
        self.procs: dict[str, Process] = {}

    def start_redis(self) -> None:
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--bind", LOOPBACK, "--port", str(self.redis_port), "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.tmp),
        ]  # fmt: skip
        self.procs["redis"] = spawn("redis", argv, env=dict(os.environ), log_dir=self.tmp)

    async def redis_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection(LOOPBACK, self.redis_port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the chaos Redis did not start")

    def start(self, name: str) -> Process:
        argv = (
            dancebot("serve", "--host", LOOPBACK, "--port", str(self.app_port))
            if name == "app"
            else dancebot("worker")
        )
        self.procs[name] = spawn(name, argv, env=self.env, log_dir=self.tmp)
        return self.procs[name]

    async def app_up(self) -> None:
        await wait_http_ok(self.url + "/health", process=self.procs["app"], seconds=120)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.app_port}"

    def stop_all(self) -> None:
        for name in ("app", "worker", "redis"):
            if name in self.procs:
                self.procs[name].stop()


async def _post_until_taken(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], f: Figures
) -> None:
    """Post an update until the webhook answers 200, as Telegram redelivers."""
    deadline = time.monotonic() + TURN_SECONDS
    while time.monotonic() < deadline:
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status == 200:
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        f.redeliveries += 1
        await asyncio.sleep(0.5)
    raise TimeoutError("the webhook never took the update")


async def _converse(
    n: int,
    talk: Conversation,
    *,
    stack: Stack,
    telegram: FakeTelegram,
    updates: UpdateFactory,
    f: Figures,
) -> None:
    chat = FIRST_CHAT + n
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for text, expect in zip(talk.messages, (None, None, RECEIPT), strict=True):
            before = len(telegram.sent_messages(chat))
            _, body, headers = updates.make(text, chat_id=chat)
            started = time.monotonic()
            await _post_until_taken(session, stack.url + "/webhook/telegram", body, headers, f)
            while True:
                new = telegram.sent_messages(chat)[before:]
                if any(expect is None or expect in m.text for m in new):
                    break
                if time.monotonic() - started > TURN_SECONDS:
                    seen = [m.text[:60] for m in telegram.sent_messages(chat)]
                    f.failures.append(f"chat {chat}: no answer to {text!r}; saw {seen}")
                    return
                await asyncio.sleep(0.05)
            f.turns.append(time.monotonic() - started)


async def _monkey(
    stack: Stack,
    *,
    kills: int,
    victims: tuple[str, ...],
    rng: random.Random,
    f: Figures,
    done: asyncio.Event,
) -> None:
    """``kills`` random SIGKILLs of the ``victims``; one of them is a Redis restart."""
    redis_at = kills // 2
    for k in range(kills):
        await asyncio.sleep(rng.uniform(2.0, 6.0))
        if k == redis_at:
            stack.procs["redis"].stop()  # a restart: AOF keeps what was written
            f.kills["redis"] += 1
            await asyncio.sleep(1.0)
            stack.start_redis()
            await stack.redis_up()
            continue
        victim = rng.choice(victims)
        if victim == "worker":
            f.worker_kills.append(time.time())
        stack.procs[victim].kill()
        f.kills[victim] += 1
        stack.start(victim)
        if victim == "app":
            await stack.app_up()
    done.set()


async def _supervise(stack: Stack, f: Figures, stop: asyncio.Event) -> None:
    """Restart a process that died by itself (counted: it should not happen)."""
    while not stop.is_set():
        for name in ("app", "worker"):
            if not stack.procs[name].alive():
                f.unexpected_exits[name] += 1
                stack.start(name)
        await asyncio.sleep(0.5)


def _reservations(state: dict[str, Any], phones: Sequence[str]) -> dict[str, int]:
    clients = {c["id"]: c.get("phone") for c in state.get("client", [])}
    counts = dict.fromkeys(phones, 0)
    for r in state.get("reservation", []):
        ref = r.get("client")
        client = ref.get("id") if isinstance(ref, dict) else ref
        phone = clients.get(client)
        if phone in counts and not r.get("deleted"):
            counts[phone] += 1
    return counts


def _check(
    talks: list[Conversation], telegram: FakeTelegram, state: dict[str, Any], f: Figures
) -> list[str]:
    problems = list(f.failures)
    for n, _ in enumerate(talks):
        chat = FIRST_CHAT + n
        copies: dict[str, list[float]] = collections.defaultdict(list)
        for message in telegram.sent_messages(chat):
            copies[message.text].append(message.sent_at)
        if not any(RECEIPT in t for t in copies):
            problems.append(f"chat {chat}: no receipt")
        for text, times in copies.items():
            if len(times) < 2:
                continue
            line = f"chat {chat}: the same bot message twice: {text[:50]!r}"
            if len(times) == 2 and _cut_off_by_a_kill(times[0], times[1], f.worker_kills):
                f.accepted.append(line)
            else:
                problems.append(line)
    counts = _reservations(state, [t.phone_digits for t in talks])
    problems += [f"phone …{p[-4:]}: {c} reservations" for p, c in counts.items() if c != 1]
    return problems


def _cut_off_by_a_kill(first: float, second: float, kills: Sequence[float]) -> bool:
    """A worker was killed after the channel took the first copy, before the second, and
    soon enough after the first that its send had not been recorded yet (D14)."""
    return any(first <= k <= second and k - first <= MID_SEND_SECONDS for k in kills)


async def run_chaos(
    conversation_count: int,
    kills: int,
    seed: int,
    *,
    victims: tuple[str, ...] = ("app", "worker"),
    quiet_logs: bool = True,
) -> int:
    """The whole run; returns the number of problems found (0: passed). ``victims``: which
    processes the SIGKILLs pick from. ``quiet_logs``: this process logs warnings only (off
    under pytest, which owns the logging)."""
    if quiet_logs:
        configure_logging(level="WARNING")
    rng = random.Random(seed)
    f = Figures()
    talks = conversations(conversation_count, run=seed)
    telegram = FakeTelegram()
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="dancebot-chaos-"))
    dsn = await create_database(ADMIN_DSN)
    stack: Stack | None = None
    emulator: Process | None = None
    try:
        async with serve_app(create_fake_telegram_app(telegram)) as tg_url:
            emulator_port = free_port()
            emulator = spawn(
                "emulator",
                dancebot("emulator", "--port", str(emulator_port), "--host", LOOPBACK),
                env=dict(os.environ, IMPULSE_API_KEY="emulator-key"),
                log_dir=tmp,
            )
            emulator_url = f"http://{LOOPBACK}:{emulator_port}"
            await wait_http_ok(emulator_url + "/_emulator/state", process=emulator)
            redis_port = free_port()
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
                "REDIS_URL": f"redis://{LOOPBACK}:{redis_port}/0",
                "DANCEBOT_REDIS_PREFIX": f"chaos-{uuid.uuid4().hex[:6]}",
                "DATABASE_URL": dsn,
                "DANCEBOT_VAR_DIR": str(tmp),
                "IMPULSE_BASE_URL": emulator_url,
                "IMPULSE_API_KEY": "emulator-key",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE": tg_url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "LOG_FORMAT": "json",
            }
            stack = Stack(tmp, env, free_port(), redis_port)
            stack.start_redis()
            await stack.redis_up()
            await upgrade_database(database_url(dsn, var_dir=tmp))
            stack.start("app")
            stack.start("worker")
            await stack.app_up()
            problems = await _drive(
                stack, talks, telegram, emulator_url, f, kills=kills, victims=victims, rng=rng
            )
    finally:
        if stack is not None:
            stack.stop_all()
        if emulator is not None:
            emulator.stop()
        await drop_database(ADMIN_DSN, dsn)
    _print(talks, f, problems, time.monotonic() - began, tmp)
    if not problems and not f.accepted:  # kept to be read otherwise
        shutil.rmtree(tmp, ignore_errors=True)
    return len(problems)


async def _drive(
    stack: Stack,
    talks: list[Conversation],
    telegram: FakeTelegram,
    emulator_url: str,
    f: Figures,
    *,
    kills: int,
    victims: tuple[str, ...],
    rng: random.Random,
) -> list[str]:
    monkey_done, stop = asyncio.Event(), asyncio.Event()
    monkey = asyncio.create_task(
        _monkey(stack, kills=kills, victims=victims, rng=rng, f=f, done=monkey_done)
    )
    supervisor = asyncio.create_task(_supervise(stack, f, stop))
    in_flight = asyncio.Semaphore(10)
    updates = UpdateFactory(SECRET)  # one factory: update ids unique across chats

    async def one(n: int, talk: Conversation) -> None:
        async with in_flight:
            await _converse(n, talk, stack=stack, telegram=telegram, updates=updates, f=f)

    tasks = []
    for n, talk in enumerate(talks):
        # spread the starts over the kills, so every kill lands among conversations
        while not monkey_done.is_set() and sum(f.kills.values()) < n * kills // len(talks):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        tasks.append(asyncio.create_task(one(n, talk)))
    await asyncio.gather(*tasks)
    await monkey
    await asyncio.sleep(3.0)  # a wrong second copy of a message has time to show up
    stop.set()
    await supervisor
    async with httpx.AsyncClient(base_url=emulator_url, timeout=30) as client:
        state = (await client.get("/_emulator/state")).json()
    return _check(talks, telegram, state, f)


def _print(
    talks: list[Conversation], f: Figures, problems: list[str], seconds: float, tmp: Path
) -> None:
    print(
        f"chaos: {len(talks)} conversations, kills {dict(f.kills)} "
        f"(total {sum(f.kills.values())}), unexpected exits {dict(f.unexpected_exits)}, "
        f"redelivered posts {f.redeliveries}, {seconds:.0f} s, load average {load_average()}"
    )
    if f.turns:
        print(
            f"turns: {len(f.turns)}, p50 {median(f.turns):.2f} s, "
            f"p95 {percentile(f.turns, 95):.2f} s, max {max(f.turns):.1f} s"
        )
    if f.accepted:
        print(
            f"accepted (D14): {len(f.accepted)} message(s) sent again after a worker kill "
            f"cut their send off (logs in {tmp}):"
        )
        for line in f.accepted:
            print(f"  {line}")
    if problems:
        print(f"FAILED: {len(problems)} problems (logs in {tmp}):")
        for line in problems[:30]:
            print(f"  {line}")
    else:
        print(
            "passed: every chat got its receipt, one reservation each, no message repeated "
            "that a kill mid-send does not explain"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--victims", default="app,worker", help="processes to SIGKILL, comma-separated"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    victims = tuple(v for v in args.victims.split(",") if v in ("app", "worker"))
    problems = asyncio.run(
        run_chaos(args.conversations, args.kills, args.seed, victims=victims or ("app",))
    )
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
