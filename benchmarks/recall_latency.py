"""The widest recalls on a filled store: component lots consumed into the most finished lots.

A supplier's component lot reaches every finished lot made from it and every shipment line of
those lots, so its recall report is the largest one the store can produce. `widest_recalls`
records a recall of each of the `n` most used component lots and times its impact report
(create + report, as `tracehub recall create` and `tracehub recall report` do), p50 / p95 / max;
a lot recalled by an earlier run is recalled again (the duplicate guard is confirmed).
`make bench` runs it on its trace store (`--trace-lines` sets the size); on a store that is
already filled: `python -m benchmarks.recall_latency --url URL`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import sqlalchemy as sa

from trace_store import evidence
from trace_store.schema import shipment_line, trace_edge
from trace_store.store import Store
from traceability import recall


def widest_lots(store: Store, n: int) -> list[tuple[str, str]]:
    """The `n` component lots with the most produced-from edges (ties by GTIN and lot)."""
    e = trace_edge.c
    query = (
        sa.select(e.gtin, e.lot)
        .where(e.evidence.in_(evidence.names("produced")), e.gtin.is_not(None), e.lot.is_not(None))
        .group_by(e.gtin, e.lot)
        .order_by(sa.func.count().desc(), e.gtin, e.lot)
        .limit(n)
    )
    with store.engine.connect() as conn:
        return [(g, lt) for g, lt in conn.execute(query)]


def widest_recalls(store: Store, n: int = 20) -> dict[str, Any]:
    """Milliseconds to record and report a recall of each of the `n` widest component lots."""
    timings, lots, consignees, deliveries = [], 0, 0, 0
    for gtin, lot in widest_lots(store, n):
        started = time.perf_counter()
        recall_id = recall.create_recall(store, gtin, [lot], reason="benchmark", actor="bench", allow_duplicate=True)
        report = recall.impact(store, recall_id)
        timings.append((time.perf_counter() - started) * 1000)
        lots = max(lots, len(report.lots))
        consignees = max(consignees, len(report.consignees))
        deliveries = max(deliveries, sum(len(c.deliveries) for c in report.consignees))
    if not timings:
        return {}
    timings.sort()
    return {
        "recall_component_n": len(timings),
        "recall_component_p50_ms": round(statistics.median(timings), 1),
        "recall_component_p95_ms": round(timings[max(0, int(0.95 * len(timings)) - 1)], 1),
        "recall_component_max_ms": round(timings[-1], 1),
        "recall_component_lots": lots,
        "recall_component_consignees": consignees,
        "recall_component_deliveries": deliveries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a filled store (SQLAlchemy URL)")
    parser.add_argument("-n", type=int, default=20, help="component lots to recall, widest first")
    args = parser.parse_args()
    store = Store.open(args.url)
    try:
        with store.engine.connect() as conn:
            lines = conn.execute(sa.select(sa.func.count()).select_from(shipment_line)).scalar_one()
        print(json.dumps({"shipment_lines": lines, **widest_recalls(store, args.n)}, indent=2))
    finally:
        store.close()


if __name__ == "__main__":
    main()
