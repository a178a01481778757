"""`make bench`: Tracehub's throughput beside dlt and raw COPY; `--trace`: lot-trace and recall latency.

Throughput (`compare.py`) replays landed raw pages (ShipBob shipments and Shopify orders of a
generated world, cloned under fresh ids until there are enough line records) through the real
pipeline and through the loaders people would use instead, interleaved over rounds, and writes
`<home>/bench/latest.json`. Latency queries random lots of a store holding at least a million
shipment lines and writes `<home>/bench/trace.json`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from benchmarks import compare, recall_latency
from benchmarks.corpus import CUSTOMERS, master_records, shipment_records
from data_dictionary.models import Record
from pipeline import settings
from trace_store.batch import LoadBatch
from trace_store.store import Store
from traceability import deliveries, genealogy, recall

console = Console(width=max(Console().width, 132))  # the results table whole, even in a log
TRACE_LINES = {"sqlite": 1_000_000, "postgresql": 5_000_000}


def bench_trace(url: str, min_lines: int, queries_n: int = 500) -> dict[str, Any]:
    """Fill a store with at least `min_lines` shipment lines, then time lot traces."""
    store = Store.open(url)
    store.upgrade()
    try:
        lots = []
        loaded = 0
        run_id = store.begin_run("bench", "shipment")
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"filling {store.engine.dialect.name}", total=min_lines)
            started = time.perf_counter()
            for chunk, chunk_lots, chunk_lines in shipment_records("bench", min_lines):
                store.commit_batch(
                    LoadBatch(
                        run_id=run_id,
                        source="bench",
                        entity="shipment",
                        pulled=len(chunk),
                        unchanged=0,
                        records=list[Record](chunk),
                        loaded=len(chunk),
                    )
                )
                lots.extend(chunk_lots)
                loaded += chunk_lines
                bar.update(task, completed=loaded)
            fill_seconds = time.perf_counter() - started
        store.finish_run(run_id)
        master_seconds = _load_master(store, sorted(set(lots)))
        rng = random.Random(1)
        sample = [rng.choice(lots) for _ in range(queries_n)]
        timings = _timed(lambda gtin, lot: deliveries.trace_lot(store, gtin, lot), sample)
        forward = _timed(lambda gtin, lot: genealogy.forward(store, gtin, lot=lot).edges, sample)
        with store.engine.connect() as conn:
            lines = conn.execute(sa.text("select count(*) from shipment_line")).scalar_one()
        recalls = _timed_recalls(store, rng.sample(sorted(set(lots)), 100))
        component = recall_latency.widest_recalls(store)
        result = {
            "shipment_lines": lines,
            "fill_seconds": round(fill_seconds, 1),
            "master_data_seconds": round(master_seconds, 1),
            "load_lines_per_s": round(loaded / fill_seconds),
            "queries": queries_n,
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
            "max_ms": round(timings[-1], 2),
            "forward_p50_ms": round(statistics.median(forward), 2),
            "forward_p95_ms": round(forward[int(0.95 * len(forward)) - 1], 2),
            "forward_max_ms": round(forward[-1], 2),
            "recall_lot_p50_ms": round(statistics.median(recalls), 1),
            "recall_lot_p95_ms": round(recalls[int(0.95 * len(recalls)) - 1], 1),
            "recall_lot_max_ms": round(recalls[-1], 1),
            **component,
        }
        console.print(f"  trace lot over {lines} lines: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
        console.print(
            f"  forward genealogy trace: p50 {result['forward_p50_ms']} ms, p95 {result['forward_p95_ms']} ms"
        )
        console.print(
            f"  recall impact of a lot (create + report): p50 {result['recall_lot_p50_ms']} ms, "
            f"p95 {result['recall_lot_p95_ms']} ms; of the widest component lots: "
            f"p50 {result['recall_component_p50_ms']} ms, p95 {result['recall_component_p95_ms']} ms, "
            f"max {result['recall_component_max_ms']} ms"
        )
        return result
    finally:
        store.close()


def _load_master(store: Store, lots: list[tuple[str, str]]) -> float:
    """Devices, parties, lots, batch records (with component inputs) and stock, through the loader."""
    started = time.perf_counter()
    run_id = store.begin_run("bench", "master")
    for records in master_records("bench", lots, CUSTOMERS):
        store.commit_batch(
            LoadBatch(
                run_id=run_id,
                source="bench",
                entity="master",
                pulled=len(records),
                unchanged=0,
                records=records,
                loaded=len(records),
            )
        )
    store.finish_run(run_id)
    if store.engine.dialect.name == "postgresql":
        # statistics and the visibility map (index-only sums), as autovacuum keeps them in production;
        # then a checkpoint, so the timings read a store at rest, not one still writing out gigabytes
        # of a bulk load (the widest recall took up to 1.09 s while it did, 0.78 s once it was done)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            conn.execute(sa.text("CHECKPOINT"))
    return time.perf_counter() - started


def _timed_recalls(store: Store, sample: list[tuple[str, str]]) -> list[float]:
    """Milliseconds to record a recall of one lot and produce its impact report, sorted."""
    timings = []
    for gtin, lot in sample:
        started = time.perf_counter()
        report = recall.impact(store, recall.create_recall(store, gtin, [lot], reason="benchmark", actor="bench"))
        timings.append((time.perf_counter() - started) * 1000)
        assert report.consignees, (gtin, lot)
    return sorted(timings)


def _timed(trace: Any, sample: list[tuple[str, str]]) -> list[float]:
    """Milliseconds per call of `trace(gtin, lot)` over the sample, sorted; every lot must trace."""
    timings = []
    for gtin, lot in sample:
        started = time.perf_counter()
        found = trace(gtin, lot)
        timings.append((time.perf_counter() - started) * 1000)
        assert found, (gtin, lot)
    return sorted(timings)


def bench_compare(args: argparse.Namespace) -> dict[str, Any]:
    """Every loading path on the same records, interleaved over rounds; printed as a table."""
    with_dlt = importlib.util.find_spec("dlt") is not None and not args.no_dlt
    if not with_dlt and not args.no_dlt:
        console.print("[yellow]dlt is not installed (the bench group: `make bench` syncs it); its paths are skipped")

    def step(n: int, label: str, timing: compare.Timing) -> None:
        console.print(
            f"  round {n + 1}: {label:22} {timing.lines:>8} lines in {timing.wall:7.2f} s "
            f"= {timing.lines / timing.wall:>9.0f} lines/s"
        )

    result = compare.run(args.lines, args.rounds, args.backends.split(","), args.pg, with_dlt, on_step=step)
    table = Table(title=f"{result['lines']} lines, {args.rounds} rounds (median, min-max)")
    for column in ("path", "lines/s", "client CPU µs/line", "PostgreSQL CPU µs/line", "re-sync % of first"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for label, figures in result["paths"].items():
        table.add_row(
            label,
            _spread(figures["lines_per_s"], "{:,.0f}"),
            _spread(figures["client_cpu_us_per_line"]),
            _spread(figures["pg_cpu_us_per_line"]),
            _spread(figures.get("resync_pct_of_first")),
        )
    console.print(table)
    for name, ratio in result["ratios"].items():
        console.print(f"  {name}: {_spread(ratio, '{:.3f}')}")
    return result


def _spread(figures: dict[str, float] | None, fmt: str = "{:,.1f}") -> str:
    if not figures:
        return "-"
    return f"{fmt.format(figures['median'])} ({fmt.format(figures['min'])}-{fmt.format(figures['max'])})"


def bench_latency(args: argparse.Namespace) -> dict[str, Any]:
    """Lot trace, forward genealogy and recall latency on a filled store per backend."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="tracehub-bench-") as work:
        for backend in args.backends.split(","):
            console.rule(backend)
            size = args.trace_lines or TRACE_LINES[backend]
            with compare.fresh_database(backend, args.pg, Path(work), "trace") as url:
                results[backend] = {"trace_lines": size, **bench_trace(url, size)}
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000, help="vendor line records in the throughput corpus")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every path")
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt paths even when dlt is installed")
    parser.add_argument("--trace", action="store_true", help="measure trace and recall latency instead")
    parser.add_argument(
        "--trace-lines",
        type=int,
        default=None,
        help="shipment lines in the trace store (default 1M on SQLite, 5M on PostgreSQL)",
    )
    parser.add_argument(
        "--pg", default=os.environ.get("TRACEHUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=None, help="JSON report (default <home>/bench/latest.json)")
    args = parser.parse_args(argv)

    out = args.out or settings.home() / "bench" / ("trace.json" if args.trace else "latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "pg"},
    }
    report["results"] = bench_latency(args) if args.trace else bench_compare(args)
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out.write_text(json.dumps(report, indent=2))
    console.print(f"load average (1, 5, 15 min) before {report['load_before']}, after {report['load_after']}")
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()
