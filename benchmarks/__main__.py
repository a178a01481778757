"""`make bench`: map + validate + load throughput, and lot-trace latency, on SQLite and PostgreSQL.

Throughput replays landed raw pages (ShipBob orders and Shopify orders of a generated world,
cloned under fresh ids until there are enough line records) through the real pipeline:
content hashing, mapping, GX validation and the batch loader. Latency queries random lots of a
store holding at least a million shipment lines. Figures are printed and written as JSON to
`<home>/bench/latest.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress, TaskID

from benchmarks import recall_latency
from benchmarks.corpus import CUSTOMERS, clone_pages, device_master, master_records, shipment_records
from connectors.base import RawRecord
from connectors.config import SourceConfig
from data_dictionary.models import Record
from pipeline import settings
from pipeline.sync import RunSummary, sync
from trace_store.batch import LoadBatch
from trace_store.store import Store
from traceability import deliveries, genealogy, recall

console = Console()
TRACE_LINES = {"sqlite": 1_000_000, "postgresql": 5_000_000}


class ReplayConnector:
    """Serves landed raw pages from memory, so the benchmark measures our work, not HTTP."""

    def __init__(self, source: str, pages: list[list[RawRecord]]) -> None:
        self.source = source
        self.pages = pages

    def check(self) -> str:
        return "replay"

    def ordered(self, entity: str) -> bool:
        return True

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        yield from self.pages


def _config(name: str, kind: str, entity: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": name,
            "kind": kind,
            "base_url": "http://replay.invalid",
            "entities": [entity],
            "credentials": {"env": "UNUSED"},
        }
    )


def bench_throughput(url: str, min_lines: int) -> dict[str, Any]:
    """Run the pipeline over cloned raw pages until `min_lines` line records have been loaded."""
    store = Store.open(url)
    store.upgrade()
    started = time.perf_counter()
    import great_expectations  # noqa: F401 - a one-off per process cost, reported apart from throughput

    results: dict[str, Any] = {"gx_import_seconds": round(time.perf_counter() - started, 2)}
    try:
        devices = device_master()  # as the ERP's sync lands them: warehouse lines name SKUs only
        run_id = store.begin_run("erp", "device")
        store.commit_batch(LoadBatch(run_id, "erp", "device", len(devices), 0, records=devices, loaded=len(devices)))
        store.finish_run(run_id)
        for name, kind, entity in (("warehouse", "shipbob", "shipment"), ("shop", "shopify", "order")):
            pages, lines = clone_pages(kind, min_lines)
            config = _config(name, kind, entity)
            records = sum(len(p) for p in pages)
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task(f"{entity} on {store.engine.dialect.name}", total=records)

                def progress(summary: RunSummary, task: TaskID = task) -> None:
                    bar.update(task, completed=summary.pulled)

                started, cpu = time.perf_counter(), time.process_time()
                summary = sync(config, entity, store, ReplayConnector(name, pages), on_batch=progress)
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            started, cpu = time.perf_counter(), time.process_time()
            again = sync(config, entity, store, ReplayConnector(name, pages))
            resync_seconds, resync_cpu = time.perf_counter() - started, time.process_time() - cpu
            results[entity] = {
                "raw_records": records,
                "line_records": lines,
                "seconds": round(seconds, 2),
                "records_per_s": round(records / seconds),
                "lines_per_s": round(lines / seconds),
                "loaded": summary.loaded,
                "quarantined": summary.quarantined,
                "resync_seconds": round(resync_seconds, 2),
                "resync_ratio": round(resync_seconds / seconds, 4),
                "resync_cpu_ratio": round(resync_cpu / cpu_seconds, 4),
                "resync_written": again.loaded + again.quarantined,
            }
            console.print(
                f"  {entity:9} {lines:>8} lines {records:>7} records in {seconds:6.1f} s: "
                f"{lines / seconds:>8.0f} lines/s; unchanged re-sync {resync_seconds:.2f} s "
                f"({resync_seconds / seconds:.1%} of the first, {resync_cpu / cpu_seconds:.1%} of its CPU time in "
                f"this process), {again.loaded + again.quarantined} written"
            )
    finally:
        store.close()
    return results


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
        with store.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum keeps them in production
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


def _fresh_pg(admin_url: str) -> tuple[str, Any]:
    """A throwaway PostgreSQL database; returns its URL and a function that drops it."""
    name = f"tracehub_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def _on_fresh_store(backend: str, sqlite_path: Path, pg_admin: str, bench: Any, size: int) -> dict[str, Any]:
    """Run one benchmark on an empty store of `backend`, dropped afterwards on PostgreSQL."""
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return bench(f"sqlite:///{sqlite_path}", size)
    url, drop = _fresh_pg(pg_admin)
    try:
        return bench(url, size)
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="line records for the throughput run")
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
    parser.add_argument("--skip-trace", action="store_true", help="throughput and re-sync only")
    args = parser.parse_args()

    out_dir = settings.home() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "lines": args.lines,
        "trace_lines": {b: args.trace_lines or TRACE_LINES[b] for b in args.backends.split(",")},
        "backends": {},
    }
    for backend in args.backends.split(","):
        console.rule(backend)
        results = report["backends"][backend] = {
            "throughput": _on_fresh_store(backend, out_dir / "bench.db", args.pg, bench_throughput, args.lines)
        }
        if not args.skip_trace:
            results["trace"] = _on_fresh_store(
                backend, out_dir / "bench-trace.db", args.pg, bench_trace, args.trace_lines or TRACE_LINES[backend]
            )
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2))
    console.print_json(json.dumps(report))
    console.print(f"written to {out_dir / 'latest.json'}")


if __name__ == "__main__":
    main()
