"""An estimate's timeline as a server-rendered SVG chart: points, bounds, qualifiers.

Points stand in the order the API's timeline gives (the series order: a figure never dated
is placed by the revisions that link it), evenly spaced, so an unknown date needs no
invented position; each is labelled with its date to the precision known, or "date
unknown". Bounds are error bars; an open bound ("at least") is an arrow to the plot's
edge. Superseded figures are hollow and dashed. The SVG carries its own <title> and <desc>.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from . import words

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 28, 64
PALETTE = ("#1f5fa8", "#b2452b", "#2d7a3a", "#7a4fa3", "#8a6d00")
UPWARD = {"at_least", "more_than"}
DOWNWARD = {"at_most", "less_than", "nearly"}


@dataclass(frozen=True)
class Plotted:
    """A timeline point with where it is drawn."""

    point: dict[str, Any]
    x: float
    value: float


def plotted_value(point: dict[str, Any]) -> float | None:
    """Where a point stands: its value, else a stated bound; None for words alone."""
    for key in ("value", "value_low", "value_high"):
        if point.get(key) is not None:
            return float(point[key])
    return None


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and its tick step (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0, 0.25
    raw_step = value / 4
    power = 10 ** math.floor(math.log10(raw_step))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw_step)
    return step * math.ceil(value / step), step


def timeline_svg(points: Sequence[dict[str, Any]], title: str, fact_url: str = "") -> Markup:
    """The chart of ``points`` (timeline items, in series order); ``fact_url`` + id links each."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    placed = [
        Plotted(point, LEFT + (index + 0.5) * slot, value)
        for index, point in enumerate(points)
        if (value := plotted_value(point)) is not None
    ]
    highest = max(
        [p.value for p in placed]
        + [float(p.point[k]) for p in placed for k in ("value_low", "value_high") if p.point.get(k)]
        or [1.0]
    )
    top, step = nice_ceiling(highest * 1.15)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    sources = list(dict.fromkeys(p.point["source"]["id"] for p in placed))
    colour = {source: PALETTE[i % len(PALETTE)] for i, source in enumerate(sources)}
    unplotted = len(points) - len(placed)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(describe(points, unplotted))}</desc>',
    ]
    parts += _axes(top, step, y)
    for source in sources:  # one line per source, through its figures in series order
        line = [p for p in placed if p.point["source"]["id"] == source]
        if len(line) > 1:
            coords = " ".join(f"{p.x:.1f},{y(p.value):.1f}" for p in line)
            parts.append(
                f'<polyline class="series" points="{coords}" fill="none" '
                f'stroke="{colour[source]}" stroke-opacity="0.45" stroke-width="1.5"/>'
            )
    for p in placed:
        parts.append(_point(p, y, colour[p.point["source"]["id"]], fact_url))
    parts.append("</svg>")
    return Markup("".join(parts))


def describe(points: Sequence[dict[str, Any]], unplotted: int = 0) -> str:
    """The chart in words, point by point (its <desc>)."""
    sentences = [
        f"{len(points)} figures in the order they became known, evenly spaced (not to time scale)."
    ]
    for point in points:
        status = " (superseded)" if point.get("superseded_by") else ""
        sentences.append(
            f"{words.when(point.get('briefing_date'), point.get('date_precision'))}: "
            f"{words.figure(point)}, {point['source']['name']}{status}."
        )
    if unplotted:
        sentences.append(f"{unplotted} given only in words without bounds are not plotted.")
    return " ".join(sentences)


def _axes(top: float, step: float, y: Any) -> list[str]:
    parts = ['<g class="axis" font-size="12" fill="#333">']
    tick = 0.0
    while tick <= top + step / 1000:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/>'
            f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{words.number(tick)}</text>"
        )
        tick += step
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#666"/></g>'
    )
    return parts


def _point(p: Plotted, y: Any, colour: str, fact_url: str) -> str:
    point, x = p.point, p.x
    low, high = point.get("value_low"), point.get("value_high")
    qualifier = point.get("qualifier") or ""
    superseded = bool(point.get("superseded_by"))
    date_label = words.when(point.get("briefing_date"), point.get("date_precision"))
    parts = []
    if low is not None and high is not None and low != high:
        parts.append(_bar(x, y(float(low)), y(float(high))))
    elif qualifier in UPWARD or (low is not None and high is None and point.get("value") is None):
        parts.append(_bar(x, y(p.value), TOP, arrow="up"))
    elif qualifier in DOWNWARD:
        parts.append(_bar(x, y(p.value), y(0), arrow="down"))
    fill, dash = ("#fff", ' stroke-dasharray="3 2"') if superseded else (colour, "")
    parts.append(
        f'<circle cx="{x:.1f}" cy="{y(p.value):.1f}" r="6" fill="{fill}" stroke="{colour}" '
        f'stroke-width="2"{dash}/>'
    )
    label = words.figure(point, with_unit=False)
    parts.append(
        f'<text class="label" x="{x + 10:.1f}" y="{y(p.value) - 8:.1f}" font-size="13" '
        f'fill="#111">{escape(label)}</text>'
    )
    unknown = ' font-style="italic"' if date_label == words.UNKNOWN_DATE else ""
    parts.append(
        f'<text class="date" x="{x:.1f}" y="{HEIGHT - BOTTOM + 20}" font-size="12" '
        f'text-anchor="middle" fill="#333"{unknown}>{escape(date_label)}</text>'
    )
    if superseded:
        parts.append(
            f'<text class="note" x="{x:.1f}" y="{HEIGHT - BOTTOM + 36}" font-size="11" '
            f'text-anchor="middle" fill="#666">superseded</text>'
        )
    summary = f"{date_label}: {words.figure(point)} ({point['source']['name']})" + (
        f", superseded by {', '.join(point['superseded_by'])}" if superseded else ""
    )
    state = "superseded" if superseded else "current"
    group = (
        f'<g class="point {state}" data-fact-id="{escape(point["fact_id"])}">'
        f"<title>{escape(summary)}</title>{''.join(parts)}</g>"
    )
    if not fact_url:
        return group
    return f'<a href="{escape(fact_url + point["fact_id"])}" aria-label="{escape(summary)}">{group}</a>'


def _bar(x: float, start: float, end: float, arrow: str = "") -> str:
    """A vertical error bar from ``start`` to ``end`` (SVG y), capped, or arrowed when open."""
    cap = f'<line x1="{x - 5:.1f}" x2="{x + 5:.1f}" y1="{{0:.1f}}" y2="{{0:.1f}}"/>'
    parts = [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{start:.1f}" y2="{end:.1f}"/>']
    if arrow:
        tip = -1 if arrow == "up" else 1
        parts.append(
            f'<polyline fill="none" points="{x - 5:.1f},{end - 7 * tip:.1f} {x:.1f},{end:.1f} '
            f'{x + 5:.1f},{end - 7 * tip:.1f}"/>'
        )
        parts.append(cap.format(start))
    else:
        parts += [cap.format(start), cap.format(end)]
    return f'<g class="bound" stroke="#555" stroke-width="1.5">{"".join(parts)}</g>'
