"""Small SVG charts drawn by hand (no JavaScript, no CDN): the HTML report stays one file
that opens anywhere, offline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family='system-ui, -apple-system, Segoe UI, Roboto, sans-serif'"
AXIS = "#9aa4b2"
GRID = "#e6e9ef"
TEXT = "#334155"


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[int]


def nice_ticks(maximum: float, *, count: int = 5) -> list[float]:
    """0 and whole round steps (1, 2, 5 × 10^k) up to at least ``maximum``."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), 1)  # counts
    return [round(i * step, 10) for i in range(math.ceil(maximum / step) + 1)]


def _label(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 260,
    label_every: int = 1,
) -> str:
    """Vertical bars, one group per category, one bar per series; y axis with round ticks."""
    left, right, top, bottom = 40, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((v for s in series for v in s.values), default=0))
    scale = plot_h / ticks[-1]
    parts = [_open(width, height)]
    for tick in ticks:
        y = top + plot_h - tick * scale
        parts.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='{GRID}'/>"
            f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' font-size='11' "
            f"fill='{TEXT}' {FONT}>{_label(tick)}</text>"
        )
    group_w = plot_w / max(len(categories), 1)
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 28), 1)
    for i, category in enumerate(categories):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i]
            h = value * scale
            x = x0 + j * bar_w
            parts.append(
                f"<rect x='{x:.1f}' y='{top + plot_h - h:.1f}' width='{bar_w - 1:.1f}' "
                f"height='{h:.1f}' fill='{s.color}' rx='2'><title>{escape(s.name)}, "
                f"{escape(category)}: {value}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f"<text x='{left + (i + 0.5) * group_w:.1f}' y='{height - bottom + 16}' "
                f"text-anchor='middle' font-size='11' fill='{TEXT}' {FONT}>"
                f"{escape(category)}</text>"
            )
    parts.append(
        f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h}' y2='{top + plot_h}' "
        f"stroke='{AXIS}'/>"
    )
    parts.append(_legend(series, x=left, y=14))
    parts.append("</svg>")
    return "".join(parts)


def bar_list(items: Sequence[tuple[str, int]], *, color: str, width: int = 720) -> str:
    """Horizontal bars with their label, count and share of the total."""
    row_h, label_w, value_w = 30, 170, 90
    height = row_h * len(items) + 10
    total = sum(v for _, v in items) or 1
    biggest = max((v for _, v in items), default=0) or 1
    bar_space = width - label_w - value_w
    parts = [_open(width, height)]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = bar_space * value / biggest
        parts.append(
            f"<text x='{label_w - 10}' y='{y + 19}' text-anchor='end' font-size='13' "
            f"fill='{TEXT}' {FONT}>{escape(label)}</text>"
            f"<rect x='{label_w}' y='{y + 4}' width='{bar_space}' height='20' fill='{GRID}' "
            f"rx='3'/>"
            f"<rect x='{label_w}' y='{y + 4}' width='{w:.1f}' height='20' fill='{color}' rx='3'>"
            f"<title>{escape(label)}: {value}</title></rect>"
            f"<text x='{label_w + bar_space + 8}' y='{y + 19}' font-size='13' fill='{TEXT}' "
            f"{FONT}>{value} · {value * 100 / total:.0f}%</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='100%' role='img' preserveAspectRatio='xMinYMin meet'>"
    )


def _legend(series: Sequence[Series], *, x: int, y: int) -> str:
    parts = []
    for s in series:
        parts.append(
            f"<rect x='{x}' y='{y - 9}' width='10' height='10' fill='{s.color}' rx='2'/>"
            f"<text x='{x + 14}' y='{y}' font-size='12' fill='{TEXT}' {FONT}>"
            f"{escape(s.name)}</text>"
        )
        x += 24 + 8 * len(s.name)
    return "".join(parts)
