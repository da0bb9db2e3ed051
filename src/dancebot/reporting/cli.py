"""``dancebot report --since 7d [--until …] [--html report.html]``: the KPIs of RFC §22.1 from
the audit database (``DATABASE_URL``, or the embedded SQLite file), against their targets."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from dancebot.adapters.storage.db.engine import database_url, make_engine, make_sessionmaker
from dancebot.entrypoints.settings import Settings
from dancebot.kb.loader import KnowledgeBaseError, load_kb
from dancebot.reporting.html_page import render_html
from dancebot.reporting.kpi import KpiReport, Period, compute
from dancebot.reporting.render import print_report
from dancebot.reporting.source import load_rows

_AGO = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")
_UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def parse_moment(text: str, *, now: datetime, tz: tzinfo) -> datetime:
    """``7d`` / ``24h`` / ``2w`` before ``now``, an ISO date (midnight in ``tz``) or an ISO
    date-time (``tz`` when it has no offset). Raises ``ValueError`` otherwise."""
    if match := _AGO.match(text):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


async def build_report(url: str, period: Period, *, tz: tzinfo) -> KpiReport:
    """The report for ``period`` from the database at ``url`` (an async SQLAlchemy URL)."""
    engine = make_engine(url)
    try:
        rows = await load_rows(make_sessionmaker(engine), period)
    finally:
        await engine.dispose()
    return compute(rows, period, tz=tz)


def report_command(
    since: Annotated[
        str, typer.Option(help="start: 7d, 24h, 2w before --until, or a date (2026-03-01)")
    ] = "7d",
    until: Annotated[
        str | None, typer.Option(help="end (a date or date-time; default: now)")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="also write a self-contained HTML page here")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--database-url", help="default: DATABASE_URL (or var/ SQLite)")
    ] = None,
) -> None:
    """The bot's KPIs (RFC §22.1) for a period, against their targets; with --html, a page
    with charts (bookings and conversations per day, reply times, where conversations end)."""
    err = Console(stderr=True)
    settings = Settings()
    studio, tz = _studio(settings, err)
    now = datetime.now(UTC)
    try:
        end = parse_moment(until, now=now, tz=tz) if until else now
        period = Period(since=parse_moment(since, now=end, tz=tz), until=end)
    except ValueError as exc:
        err.print(f"[red]Not a period:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    url = database_url(db or settings.database_url, var_dir=Path(settings.var_dir))
    try:
        report = asyncio.run(build_report(url, period, tz=tz))
    except (SQLAlchemyError, OSError) as exc:
        err.print(
            f"[red]Cannot read the audit database[/red] ({type(exc).__name__}); has the app "
            "run against it (`dancebot migrate`)?",
            highlight=False,
        )
        raise typer.Exit(1) from None
    print_report(report, Console())
    if html is not None:
        html.write_text(render_html(report, studio=studio), encoding="utf-8")
        err.print(f"HTML: {html}", highlight=False)


def _studio(settings: Settings, err: Console) -> tuple[str, tzinfo]:
    """The studio's name and time zone from the knowledge base (days are counted in it)."""
    try:
        kb = load_kb(settings.resolve(settings.kb_path))
    except KnowledgeBaseError:
        err.print("The knowledge base does not load: days are counted in UTC.", highlight=False)
        return "DanceBot", UTC
    return kb.studio.name, kb.tz
