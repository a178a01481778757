"""What a run asked its platform, per endpoint: requests, statuses, 429s, retries and latency.

The pipeline opens a collection for each run (`collecting`); every HTTP client of the process
records into the collection of the context it runs in, so two runs in two threads never mix, and
the figures are stored with the run (sync_run.requests) for `tracehub stats`.
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_current: contextvars.ContextVar[RequestMetrics | None] = contextvars.ContextVar("request_metrics", default=None)


@dataclass
class EndpointFigures:
    requests: int = 0
    retries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    seconds_total: float = 0.0
    seconds_max: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "throttled": self.statuses.get("429", 0),
            "retries": self.retries,
            "statuses": dict(sorted(self.statuses.items())),
            "latency_ms_avg": round(1000 * self.seconds_total / self.requests, 1) if self.requests else None,
            "latency_ms_max": round(1000 * self.seconds_max, 1),
        }


class RequestMetrics:
    """Figures per endpoint label (`GET /orders.json`, `res.partner.search_read`), safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_endpoint: dict[str, EndpointFigures] = {}

    def request(self, endpoint: str, outcome: str, seconds: float) -> None:
        """One request answered with `outcome`: an HTTP status, or `timeout` / `connection`."""
        with self._lock:
            figures = self._by_endpoint.setdefault(endpoint, EndpointFigures())
            figures.requests += 1
            figures.statuses[outcome] += 1
            figures.seconds_total += seconds
            figures.seconds_max = max(figures.seconds_max, seconds)

    def retry(self, endpoint: str) -> None:
        with self._lock:
            self._by_endpoint.setdefault(endpoint, EndpointFigures()).retries += 1

    def as_dict(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {endpoint: figures.as_dict() for endpoint, figures in sorted(self._by_endpoint.items())}


def current() -> RequestMetrics | None:
    """The collection of the run this code runs for, if any."""
    return _current.get()


@contextmanager
def collecting() -> Iterator[RequestMetrics]:
    """Collect the figures of every request made in this context until the block ends."""
    metrics = RequestMetrics()
    token = _current.set(metrics)
    try:
        yield metrics
    finally:
        _current.reset(token)


def totals(by_endpoint: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """One line of a run's figures over all its endpoints (for tables)."""
    rows = list((by_endpoint or {}).values())
    count = sum(r["requests"] for r in rows)
    weighted = sum((r["latency_ms_avg"] or 0) * r["requests"] for r in rows)
    return {
        "requests": count,
        "throttled": sum(r["throttled"] for r in rows),
        "retries": sum(r["retries"] for r in rows),
        "latency_ms_avg": round(weighted / count, 1) if count else None,
        "latency_ms_max": max((r["latency_ms_max"] for r in rows), default=None),
    }
