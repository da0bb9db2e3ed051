"""The KPI report as text: a rich table for the terminal and a short summary for the admin
chat (the weekly message)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dancebot.reporting.kpi import Kpi, KpiReport

_MARK = {True: "✅", False: "❌", None: "—"}


def format_value(kpi: Kpi, value: float | None = None) -> str:
    value = kpi.value if value is None else value
    if value is None:
        return "нет данных"
    if kpi.unit == "%":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if kpi.unit == "$":
        return f"${value:.3f}"
    if kpi.unit == "s":
        return f"{value:.1f} с"
    return f"{value:.1f}" if value != int(value) else str(int(value))


def format_target(kpi: Kpi) -> str:
    sign = {("above", True): "≥", ("above", False): ">", ("below", True): "≤"}.get(
        (kpi.better, kpi.inclusive), "<"
    )
    return f"{sign} {format_value(kpi, kpi.target)}"


def period_line(report: KpiReport) -> str:
    since, until = (
        report.period.since.astimezone(report.tz),
        report.period.until.astimezone(report.tz),
    )
    return f"{since:%d.%m.%Y %H:%M} — {until:%d.%m.%Y %H:%M} ({report.tz})"


def print_report(report: KpiReport, console: Console) -> None:
    table = Table(title=f"DanceBot KPI · {period_line(report)}", title_justify="left")
    table.add_column("Метрика")
    table.add_column("Значение", justify="right")
    table.add_column("Цель", justify="right")
    table.add_column("", justify="center")
    for kpi in report.kpis:
        table.add_row(kpi.title, format_value(kpi), format_target(kpi), _MARK[kpi.met])
    console.print(table)
    console.print(
        f"Диалогов: {report.conversations} · сообщений клиентов: {report.client_messages} · "
        f"заявок на запись: {report.booking_requests} · записей создано: {report.bookings} · "
        f"вызовов LLM: {report.llm_calls}",
        highlight=False,
    )


def summary_text(report: KpiReport) -> str:
    """The admin chat's weekly message: the figures and whether each meets its target."""
    lines = [
        f"📊 Неделя {period_line(report)}",
        f"Диалогов: {report.conversations}, записей: {report.bookings}.",
    ]
    lines += [
        f"{_MARK[k.met]} {k.title}: {format_value(k)} (цель {format_target(k)})"
        for k in report.kpis
    ]
    return "\n".join(lines)
