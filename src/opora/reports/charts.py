"""Small charts drawn on the server as inline SVG: no script, printable, accessible."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 32
COLORS = ("#2f6fdb", "#e0772b", "#3a9d5d", "#8b5cf6")


def _scale(values: Sequence[float]) -> float:
    top = max([v for v in values if v is not None] or [0])
    return top if top > 0 else 1.0


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str
) -> SafeString:
    """One polyline per series over the labels (e.g. days)."""
    top = _scale([v for values in series.values() for v in values])
    n = max(len(labels), 2)
    step = (WIDTH - 2 * PAD) / (n - 1)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{HEIGHT + 20}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#999"/>',
        f'<text x="4" y="{PAD}" font-size="11">{top:g}</text>',
    ]
    for index, (name, values) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        points = " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD):.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="series" data-series="{escape(name)}" fill="none" '
            f'stroke="{color}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<text x="{PAD + index * 110}" y="{HEIGHT + 14}" font-size="12" '
            f'fill="{color}">■ {escape(name)}</text>'
        )
    if labels:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="11" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(bars: dict[str, float | None], *, title: str, unit: str = "") -> SafeString:
    """Vertical bars with their value on top."""
    values = [v or 0 for v in bars.values()]
    top = _scale(values)
    n = max(len(bars), 1)
    slot = (WIDTH - 2 * PAD) / n
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(bars.items()):
        v = value or 0
        h = (v / top) * (HEIGHT - 2 * PAD - 14)
        x = PAD + i * slot + slot * 0.15
        y = HEIGHT - PAD - h
        parts.append(
            f'<rect class="bar" data-label="{escape(label)}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLORS[i % len(COLORS)]}"/>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="12" '
            f'text-anchor="middle">{"-" if value is None else f"{v:g}{unit}"}</text>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD + 16}" font-size="12" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
