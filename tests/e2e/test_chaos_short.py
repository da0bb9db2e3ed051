"""The chaos run, short (``bench/chaos.py``; ``make chaos`` runs 100 conversations and 8
kills of the app and the worker): booking conversations over HTTP through ``dancebot
serve`` + ``dancebot worker`` + the emulator + the fake Telegram while the app is SIGKILLed
and a Redis of the run's own restarts. Every chat gets its receipt, one reservation each, no
message twice. (Worker kills stay in ``make chaos``: one landing in the middle of an HTTP
send can repeat that message, D14 — not a thing to gamble a test run on.)"""

from __future__ import annotations

from bench.chaos import _cut_off_by_a_kill, run_chaos


async def test_booking_conversations_survive_kills_and_a_redis_restart() -> None:
    assert await run_chaos(20, 3, seed=7, victims=("app",), quiet_logs=False) == 0


def test_a_repeat_counts_as_cut_off_only_with_a_worker_kill_right_after_the_first_copy() -> None:
    """What ``make chaos`` accepts as D14's repeat (D85), and what stays a failure."""
    first, second = 100.0, 176.0  # the second copy: arq's run after the dead worker's expiry

    assert _cut_off_by_a_kill(first, second, [100.3]) is True
    assert _cut_off_by_a_kill(first, second, [99.9]) is False  # killed before it was sent
    assert _cut_off_by_a_kill(first, second, [105.0]) is False  # time enough to record it
    assert _cut_off_by_a_kill(first, 100.2, [100.3]) is False  # repeated before the kill
    assert _cut_off_by_a_kill(first, second, []) is False
