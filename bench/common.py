"""What every benchmark part shares: processes on loopback ports, waiting for them, their
memory, the machine's load, percentiles. Everything binds to 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def load_average() -> float:
    """The 1-minute load average (2 cores here: above ~2 the figures are disturbed)."""
    return round(os.getloadavg()[0], 2)


def rss_mb(pid: int) -> float:
    """Resident memory of a live process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Process:
    """A child process started by the benchmark; stopped (and reaped) by ``stop``."""

    name: str
    popen: subprocess.Popen[bytes]
    started: float
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def spawn(name: str, argv: Sequence[str], *, env: dict[str, str], log_dir: Path) -> Process:
    log = log_dir / f"{name}.log"
    popen = subprocess.Popen(
        list(argv),
        cwd=PROJECT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Process(name=name, popen=popen, started=time.monotonic(), log=log)


def dancebot(*args: str) -> list[str]:
    """argv of a ``dancebot`` command run by this interpreter (no ``uv run`` in between, so
    the process measured is the one started)."""
    return [PYTHON, "-m", "dancebot.entrypoints.cli", *args]


async def wait_http_ok(url: str, *, process: Process, seconds: float = 60.0) -> float:
    """Poll ``url`` until it answers 200; returns the seconds from the process's launch.
    Raises ``RuntimeError`` when the process dies or the deadline passes."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited; see {process.log}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return time.monotonic() - process.started
            await asyncio.sleep(0.02)
    raise RuntimeError(f"{process.name}: no 200 from {url} within {seconds} s; see {process.log}")


async def until(predicate: object, *, seconds: float, what: str, step: float = 0.02) -> float:
    """Poll a no-argument callable until it is true; the seconds it took. Raises
    ``TimeoutError`` naming ``what`` at the deadline."""
    start = time.monotonic()
    while not predicate():  # type: ignore[operator]
        if time.monotonic() - start > seconds:
            raise TimeoutError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(step)
    return time.monotonic() - start


@dataclass
class Processes:
    """Every child started, stopped in reverse order at exit."""

    items: list[Process] = field(default_factory=list)

    def add(self, process: Process) -> Process:
        self.items.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.items):
            process.stop()
        self.items.clear()

    def __iter__(self) -> Iterator[Process]:
        return iter(self.items)
