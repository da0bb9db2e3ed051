"""`dancebot report` on a database filled by a scenario run: the report's figures must be the
ones the run's own transcripts and CRM show (counted here from those, not from the database).
On PostgreSQL and on the embedded SQLite alike."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dancebot.adapters.crm.impulse.emulator.seed import load_seed
from dancebot.dialogue.replies import fallback_queued, not_understood
from dancebot.evaluation.harness import BotFiles
from dancebot.evaluation.report import ScenarioOutcome
from dancebot.evaluation.suite import run_suite
from dancebot.reporting.cli import build_report, parse_moment
from dancebot.reporting.html_page import render_html
from dancebot.reporting.kpi import KpiReport, Period

PROJECT = Path(__file__).resolve().parents[3]
SCENARIOS = PROJECT / "tests" / "scenarios"
CHOSEN = [  # a booking in one message, by buttons, a full group, CRM down (twice), a series,
    # a cancellation, a misunderstanding handed over, a complaint, a consultation, an admin relay
    "booking/s2-one-message-booking.yaml",
    "booking/s2-step-by-step-buttons.yaml",
    "booking/s2-full-minigroup-alternatives.yaml",
    "booking/s2-crm-down-at-confirm.yaml",
    "booking/s2-crm-down-then-up.yaml",
    "booking/s6-wednesdays-all-march.yaml",
    "booking/s5-cancel-single-booking.yaml",
    "consultation/cc-gibberish-twice.yaml",
    "consultation/esc-complaint.yaml",
    "consultation/s1-directions-list.yaml",
    "handoff/esc-full-relay.yaml",
]
# the CRM goes down at "да" and stays down: the request waits in the fallback queue, unbooked
CRM_STAYS_DOWN = """
id: report-crm-stays-down
description: "CRM down at the confirmation and not back within the scenario"
now: "2026-03-02T10:00:00+10:00"
channel: telegram
user: {chat_id: "report-1", first_name: null, phone: null}
steps:
  - user: "контемп в среду в 19, Мария 89145550160"
    expect: {state: confirm_booking}
  - fault: {crm: down}
  - user: "да"
    expect: {reply_matches: "администратор"}
"""
FILES = BotFiles(
    kb_path=PROJECT / "knowledge/studio_tatyana.yaml",
    seed_path=PROJECT / "seeds/studio_tatyana.yaml",
)
TZ = ZoneInfo("Asia/Vladivostok")
PERIOD = Period(since=datetime(2026, 3, 1, tzinfo=TZ), until=datetime(2026, 4, 1, tzinfo=TZ))


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_database_url")
        return url
    return f"sqlite:///{tmp_path / 'report.db'}"


async def _run(database: str, folder: Path) -> tuple[list[ScenarioOutcome], KpiReport]:
    extra = folder / "report-crm-stays-down.yaml"
    extra.write_text(CRM_STAYS_DOWN, encoding="utf-8")
    paths = [*(SCENARIOS / name for name in CHOSEN), extra]
    outcomes = await run_suite(paths, FILES, keep_database=database)
    assert all(o.passed for o in outcomes), [o.failures for o in outcomes if not o.passed]
    from dancebot.adapters.storage.db.engine import database_url

    return outcomes, await build_report(database_url(database, var_dir=Path()), PERIOD, tz=TZ)


def _transcripts(outcomes: list[ScenarioOutcome]) -> list[dict[str, Any]]:
    return [o.runs[0].transcript for o in outcomes]


def _new_reservations(transcript: dict[str, Any], seed_ids: set[int]) -> int:
    return sum(1 for r in transcript["crm"]["reservations"] if int(r["id"]) not in seed_ids)


async def test_report_matches_the_scenario_run(database: str, tmp_path: Path) -> None:
    outcomes, report = await _run(database, tmp_path)
    scenarios = len(CHOSEN) + 1
    transcripts = _transcripts(outcomes)
    steps = [step for t in transcripts for step in t["steps"]]
    inbound = [s["inbound"] for s in steps if s.get("inbound") and s["kind"] != "duplicate"]
    replies = [m["text"] for s in steps for m in s["outbound"]]
    seed_ids = {int(i) for i in load_seed(FILES.seed_path).records["reservation"]}

    assert len({t["chat_id"] for t in transcripts}) == scenarios  # one conversation each
    assert report.conversations == scenarios
    assert report.client_messages == len(inbound)
    assert report.bookings == sum(_new_reservations(t, seed_ids) for t in transcripts)

    booked = [o.runs[0].user_messages_to_booking for o in outcomes]
    booked = [n for n in booked if n is not None]
    assert report.kpi("messages_to_booking").value == pytest.approx(statistics.fmean(booked))
    assert report.kpi("conversion").value == pytest.approx(len(booked) / scenarios)

    handed = [t for t in transcripts if any(
        s["state"] in ("handoff_to_admin", "admin_responding") for s in t["steps"]
    )]  # fmt: skip
    assert report.kpi("handoff_share").value == pytest.approx(len(handed) / scenarios)

    texts = [m for m in inbound if m["type"] == "text"]
    misunderstood = replies.count(not_understood().text)
    assert misunderstood >= 1  # cc-gibberish-twice
    assert report.kpi("not_understood_share").value == pytest.approx(misunderstood / len(texts))

    queued = sum(fallback_queued().text in replies_of(t) for t in transcripts)
    assert queued == 3
    requests = report.booking_requests
    assert report.kpi("crm_fallback_rate").value == pytest.approx(queued / requests)
    # the request queued while the CRM stayed down got no reservation; the ones queued in
    # s2-crm-down-at-confirm and s2-crm-down-then-up were booked by the fallback queue when
    # the CRM came back, and count as successes
    unbooked = 1
    assert requests == report.bookings + unbooked
    assert report.kpi("booking_success").value == pytest.approx(report.bookings / requests)
    assert report.kpi("reply_p95").value == 0.0  # the virtual clock stands still in a step
    assert report.kpi("llm_cost_per_booking").value == 0.0  # no LLM: nothing spent
    assert report.kpi("dlq_size").value == 0

    ends = dict(report.endings)
    assert ends["запись"] == len(booked)
    assert ends["администратор"] == len([t for t in handed if not _booked(t, outcomes)])
    assert sum(ends.values()) == scenarios
    assert sum(n for _, n in report.bookings_per_day) == report.bookings
    assert sum(n for _, n in report.conversations_per_day) == scenarios


def replies_of(transcript: dict[str, Any]) -> list[str]:
    return [m["text"] for s in transcript["steps"] for m in s["outbound"]]


def _booked(transcript: dict[str, Any], outcomes: list[ScenarioOutcome]) -> bool:
    run = next(o.runs[0] for o in outcomes if o.runs[0].transcript is transcript)
    return run.user_messages_to_booking is not None


async def test_the_command_prints_the_table_and_writes_a_self_contained_page(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'report.db'}"
    _, report = await _run(database, tmp_path)
    page_file = tmp_path / "report.html"
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "dancebot.entrypoints.cli", "report", "--since", "2026-03-01",
         "--until", "2026-04-01", "--database-url", database, "--html", str(page_file)],
        capture_output=True, text=True, cwd=PROJECT, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "160"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Успешные записи (E2E)" in result.stdout
    assert f"записей создано: {report.bookings}" in result.stdout

    page = page_file.read_text(encoding="utf-8")
    assert page == render_html(report, studio="Студия танцев Татьяны")
    assert page.count("<svg") == 3
    assert not re.search(r"(?:src|href)=['\"]?https?:", page)  # nothing fetched from outside
    assert "<script" not in page
    assert f"<b>{report.bookings}</b>" in page and f"<b>{report.conversations}</b>" in page
    for kpi in report.kpis:
        assert kpi.title in page
    # one bar per day and series, with the day's count in its tooltip
    for day, count in report.bookings_per_day:
        assert f"Записи, {day:%d.%m}: {count}</title>" in page


def test_report_refuses_a_period_it_cannot_read() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dancebot.entrypoints.cli", "report", "--since", "last tuesday"],
        capture_output=True, text=True, cwd=PROJECT, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "Not a period" in result.stderr


def test_since_takes_durations_dates_and_date_times() -> None:
    now = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert parse_moment("7d", now=now, tz=TZ) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert parse_moment("24h", now=now, tz=TZ) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert parse_moment("2026-03-01", now=now, tz=TZ) == datetime(2026, 3, 1, tzinfo=TZ)
    with pytest.raises(ValueError):
        parse_moment("soon", now=now, tz=TZ)
