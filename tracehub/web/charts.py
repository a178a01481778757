"""Charts drawn on the server as inline SVG: no scripts, no front-end build, escaped labels."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from markupsafe import Markup

COLOURS = ("#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d", "#0b7285", "#e67700")
BUCKETS = 60
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 240, 48, 150, 12, 36


def _nice_max(rate: float) -> float:
    for top in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        if rate <= top:
            return top
    return 1.0


def failure_rate_points(runs: list[dict[str, Any]]) -> dict[str, list[tuple[datetime, int, int]]]:
    """Per source: (bucket start, quarantined, processed) over up to 60 equal time buckets.

    Processed means loaded + quarantined (unchanged records were not validated again); runs that
    processed nothing carry no rate and are left out.
    """
    timed = [
        (datetime.fromisoformat(r["started_at"]), r)
        for r in runs
        if r.get("started_at") and (r["loaded"] + r["quarantined"]) > 0
    ]
    if not timed:
        return {}
    t0 = min(t for t, _ in timed)
    span = (max(t for t, _ in timed) - t0).total_seconds()
    width = span / (BUCKETS - 1) if span > 0 else 1.0
    acc: dict[str, dict[int, list[int]]] = {}
    for t, r in timed:
        slot = acc.setdefault(r["source"], {}).setdefault(int((t - t0).total_seconds() / width), [0, 0])
        slot[0] += r["quarantined"]
        slot[1] += r["loaded"] + r["quarantined"]
    return {
        source: [(t0 + timedelta(seconds=i * width), q, n) for i, (q, n) in sorted(buckets.items())]
        for source, buckets in sorted(acc.items())
    }


def failure_rate_svg(runs: list[dict[str, Any]]) -> Markup:
    """Line chart of the share of processed records that went to quarantine, one line per source."""
    series = failure_rate_points(runs)
    if not series:
        return Markup('<p class="muted">No sync run has processed records yet.</p>')
    times = [t for points in series.values() for t, _, _ in points]
    t0, t1 = min(times), max(times)
    span = (t1 - t0).total_seconds() or 1.0
    top = _nice_max(max(q / n for points in series.values() for _, q, n in points))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: datetime) -> float:
        return LEFT + (plot_w / 2 if t1 == t0 else plot_w * (t - t0).total_seconds() / span)

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
        'aria-labelledby="rate-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="rate-title">Share of processed records quarantined, per source, over time</title>',
    ]
    for frac in (0, 0.5, 1):
        yy = y(top * frac)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{top * frac:.0%}</text>')
    for t, anchor in ((t0, "start"), (t1, "end")):
        label = escape(t.strftime("%Y-%m-%d %H:%M" if span >= 3600 else "%Y-%m-%d %H:%M:%S"))
        parts.append(f'<text x="{x(t):.1f}" y="{H - 12}" text-anchor="{anchor}">{label}</text>')
    for i, (source, points) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{x(t):.1f},{y(q / n):.1f}" for t, q, n in points)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for t, q, n in points:
            tip = escape(f"{source} {t:%Y-%m-%d %H:%M}: {q} of {n} quarantined ({q / n:.1%})")
            parts.append(
                f'<circle cx="{x(t):.1f}" cy="{y(q / n):.1f}" r="3.5" fill="{colour}"><title>{tip}</title></circle>'
            )
        ly = TOP + 14 + 18 * i
        parts.append(f'<rect x="{W - RIGHT + 16}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{W - RIGHT + 34}" y="{ly + 1}">{escape(source)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
