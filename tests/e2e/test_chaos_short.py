"""The chaos run, short (``bench/chaos.py``; ``make chaos`` runs 100 conversations and 8
kills of the app and the worker): booking conversations over HTTP through ``dancebot
serve`` + ``dancebot worker`` + the emulator + the fake Telegram while the app is SIGKILLed
and a Redis of the run's own restarts. Every chat gets its receipt, one reservation each, no
message twice. (Worker kills stay in ``make chaos``: one landing in the middle of an HTTP
send can repeat that message, D14 — not a thing to gamble a test run on.)"""

from __future__ import annotations

from bench.chaos import run_chaos


async def test_booking_conversations_survive_kills_and_a_redis_restart() -> None:
    assert await run_chaos(20, 3, seed=7, victims=("app",), quiet_logs=False) == 0
