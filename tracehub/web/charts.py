"""Charts drawn on the server as inline SVG: no scripts, no front-end build, escaped labels.

This module works out the geometry; the markup is a template of the console's Jinja2 environment
(tracehub/web/templates/_failure_rate_chart.html, autoescaped).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from tracehub.web.render import templates

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
    chart = _failure_rate_chart(failure_rate_points(runs))
    return Markup(templates.env.get_template("_failure_rate_chart.html").render(chart=chart))


def _failure_rate_chart(series: dict[str, list[tuple[datetime, int, int]]]) -> dict[str, Any] | None:
    """The chart's geometry and labels (None without points): grid lines, time axis, a line per source."""
    if not series:
        return None
    times = [t for points in series.values() for t, _, _ in points]
    t0, t1 = min(times), max(times)
    span = (t1 - t0).total_seconds() or 1.0
    top = _nice_max(max(q / n for points in series.values() for _, q, n in points))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: datetime) -> float:
        return round(LEFT + (plot_w / 2 if t1 == t0 else plot_w * (t - t0).total_seconds() / span), 1)

    def y(rate: float, shift: float = 0) -> float:
        return round(TOP + plot_h * (1 - rate / top) + shift, 1)

    time_format = "%Y-%m-%d %H:%M" if span >= 3600 else "%Y-%m-%d %H:%M:%S"
    return {
        "width": W,
        "height": H,
        "grid": [
            {
                "x1": LEFT,
                "x2": W - RIGHT,
                "y": y(top * frac),
                "label_x": LEFT - 6,
                "label_y": y(top * frac, shift=4),
                "label": f"{top * frac:.0%}",
            }
            for frac in (0, 0.5, 1)
        ],
        "times": [
            {"x": x(t), "y": H - 12, "anchor": anchor, "label": t.strftime(time_format)}
            for t, anchor in ((t0, "start"), (t1, "end"))
        ],
        "series": [
            {
                "source": source,
                "colour": COLOURS[i % len(COLOURS)],
                "points": " ".join(f"{x(t)},{y(q / n)}" for t, q, n in points),
                "dots": [
                    {
                        "x": x(t),
                        "y": y(q / n),
                        "tip": f"{source} {t:%Y-%m-%d %H:%M}: {q} of {n} quarantined ({q / n:.1%})",
                    }
                    for t, q, n in points
                ],
                "key_x": W - RIGHT + 16,
                "key_y": TOP + 14 + 18 * i - 9,
                "label_x": W - RIGHT + 34,
                "label_y": TOP + 14 + 18 * i + 1,
            }
            for i, (source, points) in enumerate(series.items())
        ],
    }
