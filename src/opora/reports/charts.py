"""Small charts drawn on the server as inline SVG: no script, printable, accessible.

Titles, labels and legends arrive translated; values go through `fmt` (the reader's
number format). Every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 32
COLORS = ("#2f6fdb", "#e0772b", "#3a9d5d", "#8b5cf6")
ROW, LABEL_WIDTH = 26, 180  # horizontal bars: height of a row, room for the labels

Formatter = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:g}"


def _scale(values: Sequence[float | None]) -> float:
    top = max([v for v in values if v is not None] or [0])
    return top if top > 0 else 1.0


def _open(title: str, height: int) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )


def line_chart(
    labels: Sequence[str],
    series: dict[str, tuple[str, Sequence[float]]],
    *,
    title: str,
    fmt: Formatter = _plain,
) -> SafeString:
    """One polyline per series over the labels (e.g. days); `series` maps a stable key
    (data-series) to its legend and values."""
    top = _scale([v for _legend, values in series.values() for v in values])
    n = max(len(labels), 2)
    step = (WIDTH - 2 * PAD) / (n - 1)
    parts = [
        _open(title, HEIGHT + 20),
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>',
        f'<text x="4" y="{PAD}" font-size="11">{escape(fmt(top))}</text>',
    ]
    for index, (key, (legend, values)) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        points = " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="series" data-series="{escape(key)}" fill="none" '
            f'stroke="{color}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<text class="legend" x="{PAD + index * 150}" y="{HEIGHT + 14}" font-size="12" '
            f'fill="{color}">■ {escape(legend)}</text>'
        )
    if labels:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="11" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(
    bars: dict[str, float | None],
    *,
    title: str,
    unit: str = "",
    fmt: Formatter = _plain,
    labels: dict[str, str] | None = None,
) -> SafeString:
    """Vertical bars with their value on top; `labels` names the keys (data-label)."""
    names = labels or {}
    top = _scale([v or 0 for v in bars.values()])
    n = max(len(bars), 1)
    slot = (WIDTH - 2 * PAD) / n
    parts = [_open(title, HEIGHT)]
    for i, (key, value) in enumerate(bars.items()):
        v = value or 0
        h = (v / top) * (HEIGHT - 2 * PAD - 14)
        x = PAD + i * slot + slot * 0.15
        y = HEIGHT - PAD - h
        shown = "\u2013" if value is None else fmt(v) + unit
        parts.append(
            f'<rect class="bar" data-label="{escape(key)}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLORS[i % len(COLORS)]}"/>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="12" '
            f'text-anchor="middle">{escape(shown)}</text>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD + 16}" font-size="12" '
            f'text-anchor="middle">{escape(names.get(key, key))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def hbar_chart(
    bars: dict[str, float | None], *, title: str, unit: str = "", fmt: Formatter = _plain
) -> SafeString:
    """Horizontal bars, one row per label (agents: long names, any number of them)."""
    top = _scale([v or 0 for v in bars.values()])
    height = max(len(bars), 1) * ROW + 8
    room = WIDTH - LABEL_WIDTH - 70
    parts = [_open(title, height)]
    for i, (label, value) in enumerate(bars.items()):
        v = value or 0
        y = 4 + i * ROW
        w = (v / top) * room
        shown = "\u2013" if value is None else fmt(v) + unit
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" font-size="12" text-anchor="end">'
            f"{escape(label[:28])}</text>"
        )
        parts.append(
            f'<rect class="bar" data-label="{escape(label)}" x="{LABEL_WIDTH}" y="{y + 3}" '
            f'width="{w:.1f}" height="{ROW - 8}" fill="{COLORS[0]}"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 16}" font-size="12">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
