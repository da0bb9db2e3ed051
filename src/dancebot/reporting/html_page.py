"""The KPI report as one self-contained HTML page: the KPI table against its targets and
three charts (bookings and conversations per day, reply times, where conversations end)."""

from __future__ import annotations

from html import escape

from dancebot.reporting.kpi import KpiReport
from dancebot.reporting.render import format_target, format_value, period_line
from dancebot.reporting.svg import Series, bar_list, column_chart

BOOKINGS_COLOR = "#16a34a"
CONVERSATIONS_COLOR = "#6366f1"
REPLY_COLOR = "#0ea5e9"
ENDINGS_COLOR = "#f59e0b"
_STATUS = {True: ("ok", "в цели"), False: ("bad", "мимо цели"), None: ("none", "нет данных")}

_CSS = """
body{margin:0;background:#f6f7fb;color:#1e293b;font:15px/1.45 system-ui,-apple-system,
'Segoe UI',Roboto,sans-serif}
main{max-width:920px;margin:0 auto;padding:28px 20px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}
.sub{color:#64748b;margin:0 0 20px}
.card{background:#fff;border-radius:12px;padding:18px 20px;margin:0 0 18px;
box-shadow:0 1px 3px rgba(15,23,42,.08)}
.totals{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 18px}
.total{flex:1;min-width:130px;background:#fff;border-radius:12px;padding:12px 16px;
box-shadow:0 1px 3px rgba(15,23,42,.08)}
.total b{display:block;font-size:22px}.total span{color:#64748b;font-size:13px}
table{width:100%;border-collapse:collapse}
th,td{padding:8px 6px;border-bottom:1px solid #eef0f4;text-align:left}
td.num,th.num{text-align:right;white-space:nowrap}
.pill{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px}
.ok{background:#dcfce7;color:#166534}.bad{background:#fee2e2;color:#991b1b}
.none{background:#f1f5f9;color:#475569}
.note{color:#64748b;font-size:13px;margin:10px 0 0}
"""


def render_html(report: KpiReport, *, studio: str = "DanceBot") -> str:
    days = [d.strftime("%d.%m") for d, _ in report.conversations_per_day]
    every = max(1, len(days) // 14)
    per_day = column_chart(
        days,
        [
            Series("Диалоги", CONVERSATIONS_COLOR, [n for _, n in report.conversations_per_day]),
            Series("Записи", BOOKINGS_COLOR, [n for _, n in report.bookings_per_day]),
        ],
        label_every=every,
    )
    replies = column_chart(
        [label for label, _ in report.reply_histogram],
        [Series("Ответы", REPLY_COLOR, [n for _, n in report.reply_histogram])],
        height=220,
    )
    endings = bar_list(report.endings, color=ENDINGS_COLOR)
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(studio)} — KPI {escape(period_line(report))}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>{escape(studio)}: KPI бота</h1>
<p class="sub">{escape(period_line(report))}</p>
<div class="totals">{_totals(report)}</div>
<section class="card"><h2>Показатели и цели (RFC §22.1)</h2>{_kpi_table(report)}</section>
<section class="card"><h2>Диалоги и записи по дням</h2>{per_day}</section>
<section class="card"><h2>Время ответа</h2>{replies}
<p class="note">От получения сообщения ботом до записи его ответа (без очереди канала).</p>
</section>
<section class="card"><h2>Чем заканчиваются диалоги</h2>{endings}</section>
</main></body></html>
"""


def _totals(report: KpiReport) -> str:
    items = [
        (report.conversations, "диалогов"),
        (report.client_messages, "сообщений клиентов"),
        (report.booking_requests, "заявок на запись"),
        (report.bookings, "записей создано"),
    ]
    return "".join(f"<div class='total'><b>{n}</b><span>{label}</span></div>" for n, label in items)


def _kpi_table(report: KpiReport) -> str:
    rows = []
    for kpi in report.kpis:
        css, word = _STATUS[kpi.met]
        rows.append(
            f"<tr><td>{escape(kpi.title)}</td><td class='num'>{escape(format_value(kpi))}</td>"
            f"<td class='num'>{escape(format_target(kpi))}</td>"
            f"<td class='num'><span class='pill {css}'>{word}</span></td></tr>"
        )
    head = (
        "<tr><th>Метрика</th><th class='num'>Значение</th><th class='num'>Цель</th>"
        "<th class='num'></th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"
