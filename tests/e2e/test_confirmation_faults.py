"""A booking confirmed while the CRM fails is never lost (issue 8 items 2–4), on real Redis
and PostgreSQL with the emulator served over HTTP behind a TCP proxy (for connection
errors), through the real client and its circuit breaker:

- every kind of CRM failure at "да" — 5xx, timeout, connection error, the HTML login page,
  an unexpected body, the breaker open — with the schedule cache cold (every booking
  invalidates it): one fallback entry, one admin card, an honest reply, exactly one
  reservation after recovery and the client told once;
- a CRM slower than the turn deadline: the turn ends with the honest answer while the CRM
  still holds the call; the late call, when it lands, books nothing twice;
- retry passes started together, or a stalled pass outliving its lock, book each entry once
  and tell each client once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from tests.e2e.channels.conftest import reservations_of
from tests.e2e.crm_rig import Rig, open_rig, until

from dancebot.adapters.crm.breaker import RECHECK_SECONDS, BreakerStore

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

QUEUED = "Записала вашу заявку"
BOOKED = "вы записаны"
CLIENTS = [
    ("Мария", "+7 999 123-45-67"),
    ("Ольга", "+7 914 555-01-32"),
    ("Ирина", "+7 924 111-22-33"),
]


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


async def _break(rig: Rig, fault: str) -> None:
    if fault == "connection":
        rig.proxy.break_connections()
    elif fault == "circuit_open":
        # opened by another process: this one sees it within its memo's recheck interval (D78)
        store = BreakerStore(rig.services.redis, keys=rig.keys)
        await store.record_failure(now=rig.clock.now(), threshold=1)
        rig.clock.advance(timedelta(seconds=RECHECK_SECONDS))
    else:
        rig.emulator.set_fault({"server_error": "down", "timeout": "slow"}.get(fault, fault), 60)


async def _repair(rig: Rig) -> None:
    rig.proxy.cut = False
    rig.emulator.set_fault("none")
    rig.clock.advance(timedelta(minutes=2))  # past the breaker's open time and the retry minute
    await until(lambda: rig.emulator.held == 0)


FAULTS = ["server_error", "timeout", "connection", "login_page", "bad_body", "circuit_open"]


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_crm_failure_at_confirmation_queues_the_request_and_books_it_once(
    postgres_database: str, key_prefix: str, tmp_path: Path, fault: str
) -> None:
    async with open_rig(
        postgres_database, key_prefix, tmp_path, impulse_timeout_seconds=0.3
    ) as rig:
        chat = rig.chat(1)
        await rig.to_summary(chat, *CLIENTS[0])
        await rig.cold_cache()
        await _break(rig, fault)

        answer = await rig.say(chat, "да")

        assert QUEUED in answer and "Уточню" not in answer
        assert await rig.services.fallback.size() == 1
        cards = [m for m in rig.admin_told if "ждёт записи" in m]
        assert len(cards) == 1 and "Contemporary" in cards[0]
        await _repair(rig)
        assert await rig.services.fallback_retrier.run_due(rig.clock.now()) == 1
        assert await rig.services.fallback_retrier.run_due(rig.clock.now()) == 0
        rig.collect()
        assert len(reservations_of(rig.emulator, _digits(CLIENTS[0][1]))) == 1
        assert sum(BOOKED in t for t in rig.told) == 1
        assert await rig.services.fallback.size() == 0


@pytest.mark.parametrize("slow_call", ["schedule_read", "create_booking"])
async def test_a_crm_slower_than_the_turn_deadline_gets_an_honest_answer_and_one_booking(
    postgres_database: str, key_prefix: str, tmp_path: Path, slow_call: str
) -> None:
    async with open_rig(
        postgres_database,
        key_prefix,
        tmp_path,
        impulse_timeout_seconds=120,  # the client alone would wait far too long
        turn_deadline_seconds=0.5,
    ) as rig:
        chat = rig.chat(2)
        await rig.to_summary(chat, *CLIENTS[0])
        if slow_call == "schedule_read":
            await rig.cold_cache()
        rig.emulator.set_fault("slow", 600)

        answer = await rig.say(chat, "да")

        assert rig.emulator.held == 1  # the turn ended while the CRM still holds the call
        assert QUEUED in answer
        assert sum("ждёт записи" in m for m in rig.admin_told) == 1
        assert await rig.services.fallback.size() == 1
        await _repair(rig)  # the held call now lands: for create_booking, a late reservation
        assert await rig.services.fallback_retrier.run_due(rig.clock.now()) == 1
        rig.collect()
        assert len(reservations_of(rig.emulator, _digits(CLIENTS[0][1]))) == 1
        assert sum(BOOKED in t for t in rig.told) == 1
        assert sum("записана в CRM автоматически" in m for m in rig.admin_told) == 1


async def _queue_all(rig: Rig) -> None:
    rig.emulator.set_fault("down")
    for n, (name, phone) in enumerate(CLIENTS):
        chat = rig.chat(10 + n)
        rig.emulator.set_fault("none")
        await rig.to_summary(chat, name, phone)
        rig.emulator.set_fault("down")
        assert QUEUED in await rig.say(chat, "да")
    assert await rig.services.fallback.size() == len(CLIENTS)
    rig.emulator.set_fault("none")
    rig.clock.advance(timedelta(minutes=2))


def _assert_each_booked_and_told_once(rig: Rig) -> None:
    rig.collect()
    for _, phone in CLIENTS:
        assert len(reservations_of(rig.emulator, _digits(phone))) == 1, phone
    assert sum(BOOKED in t for t in rig.told) == len(CLIENTS)
    assert sum("записана в CRM автоматически" in m for m in rig.admin_told) == len(CLIENTS)


async def test_two_retry_passes_started_together_book_and_tell_once(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with open_rig(postgres_database, key_prefix, tmp_path) as rig:
        await _queue_all(rig)
        now = rig.clock.now()
        results = await asyncio.gather(rig.retrier().run_due(now), rig.retrier().run_due(now))
        assert sorted(results) == [0, len(CLIENTS)]
        _assert_each_booked_and_told_once(rig)


async def test_a_stalled_pass_outliving_its_lock_books_nothing_twice(
    postgres_database: str, key_prefix: str, tmp_path: Path
) -> None:
    async with open_rig(
        postgres_database, key_prefix, tmp_path, impulse_timeout_seconds=120
    ) as rig:
        await _queue_all(rig)
        now = rig.clock.now()
        rig.emulator.set_fault("slow", 600)
        first = asyncio.create_task(rig.retrier(pass_lock_seconds=0.2).run_due(now))
        await until(lambda: rig.emulator.held == 1)  # stalled in the CRM with its list
        lock = rig.keys.fallback_retry_lock()
        await until(lambda: _gone(rig, lock))  # its lock ran out
        second = asyncio.create_task(rig.retrier().run_due(now))
        await until(lambda: rig.emulator.held == 2)  # the next pass, with the same list
        rig.emulator.set_fault("none")
        results = await asyncio.gather(first, second)
        assert sum(results) == len(CLIENTS)
        _assert_each_booked_and_told_once(rig)


async def _gone(rig: Rig, key: str) -> bool:
    return not await rig.redis.exists(key)
