"""Charts drawn on the server as inline SVG: no scripts, no front-end build, escaped labels.

This module works out the geometry; the markup is a template of the console's Jinja2 environment
(tracehub/web/templates/_failure_rate_chart.html, autoescaped).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jinja2
from markupsafe import Markup

from tracehub.web.render import templates

COLOURS = ("#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d", "#0b7285", "#e67700")
BUCKETS = 60
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 240, 48, 170, 12, 36


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


def failure_rate_svg(runs: list[dict[str, Any]], env: jinja2.Environment | None = None) -> Markup:
    """Bars of records processed per time bucket, and per source a line of the share of them that
    went to quarantine (weighted by volume: quarantined / processed in the bucket), in `env`'s language."""
    chart = _failure_rate_chart(failure_rate_points(runs))
    return Markup((env or templates.env).get_template("_failure_rate_chart.html").render(chart=chart))


def _failure_rate_chart(series: dict[str, list[tuple[datetime, int, int]]]) -> dict[str, Any] | None:
    """The chart's geometry (None without points): grid lines, time axis, volume bars, a line per source.

    A dot's size grows with its bucket's volume, so a bucket of one record at 100% reads as small.
    """
    if not series:
        return None
    volume: dict[datetime, list[int]] = {}
    for points in series.values():
        for t, q, n in points:
            slot = volume.setdefault(t, [0, 0])
            slot[0] += q
            slot[1] += n
    t0, t1 = min(volume), max(volume)
    span = (t1 - t0).total_seconds() or 1.0
    top = _nice_max(max(q / n for points in series.values() for _, q, n in points))
    most = max(n for _, n in volume.values())
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    bar_w = max(2.0, round(plot_w / (BUCKETS + 1) * 0.8, 1))

    def x(t: datetime) -> float:
        return round(LEFT + bar_w / 2 + (plot_w - bar_w) * (0.5 if t1 == t0 else (t - t0).total_seconds() / span), 1)

    def y(rate: float, shift: float = 0) -> float:
        return round(TOP + plot_h * (1 - rate / top) + shift, 1)

    def radius(n: int) -> float:
        return round(2 + 4 * (n / most) ** 0.5, 1)

    return {
        "width": W,
        "height": H,
        "top": top,
        "most": most,
        "grid": [
            {
                "x1": LEFT,
                "x2": W - RIGHT,
                "y": y(top * frac),
                "label_x": LEFT - 6,
                "label_y": y(top * frac, shift=4),
                "label": f"{top * frac:.0%}",
                "volume_x": W - RIGHT + 4,
                "volume": round(most * frac),
            }
            for frac in (0, 0.5, 1)
        ],
        "times": [{"x": x(t), "y": H - 12, "anchor": anchor, "at": t} for t, anchor in ((t0, "start"), (t1, "end"))],
        "bars": [
            {
                "x": round(x(t) - bar_w / 2, 1),
                "y": round(TOP + plot_h * (1 - n / most), 1),
                "width": bar_w,
                "height": round(plot_h * n / most, 1),
                "at": t,
                "quarantined": q,
                "processed": n,
                "rate": f"{q / n:.1%}",
            }
            for t, (q, n) in sorted(volume.items())
        ],
        "series": [
            {
                "source": source,
                "colour": COLOURS[i % len(COLOURS)],
                "points": " ".join(f"{x(t)},{y(q / n)}" for t, q, n in points),
                "dots": [
                    {"x": x(t), "y": y(q / n), "r": radius(n), "at": t, "q": q, "n": n, "rate": f"{q / n:.1%}"}
                    for t, q, n in points
                ],
                "key_x": W - RIGHT + 40,
                "key_y": TOP + 14 + 18 * i - 9,
                "label_x": W - RIGHT + 58,
                "label_y": TOP + 14 + 18 * i + 1,
            }
            for i, (source, points) in enumerate(series.items())
        ],
    }
