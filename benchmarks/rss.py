"""Peak memory of the full pipeline as the corpus grows: one cold process per size.

Each size syncs ShipBob shipments and Shopify orders (half the lines each), cloned from the corpus
world as the pipeline pulls them (`corpus.stream_pages`: one page in memory at a time), through
the real sync (hash, map, GX validation, load) into a fresh store, in a process of its own. Its
peak RSS (`ru_maxrss`) against the size says whether memory is bounded by the batch or grows with
the run; so does that of the GX worker the sync process forks (`quality_checks.gx_run`), asked
for its own peak at the end (a forked child's RSS counts the pages it shares with its parent too).
`python -m benchmarks.rss --lines 50000,500000 --backend postgresql`; the report goes to
`<home>/bench/rss.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.compare import SOURCES, ReplayConnector, fresh_database, fresh_store, source_config
from benchmarks.corpus import stream_pages
from connectors.base import RawRecord
from pipeline import settings
from pipeline.sync import sync
from quality_checks import gx_run


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def one_size(url: str, lines: int) -> dict[str, Any]:
    """Sync `lines` line records into the store at `url`; peak RSS before the first page and after the run."""
    store = fresh_store(url)
    counted = {name: 0 for name, _, _ in SOURCES}
    pulled = loaded = 0
    started_mb = peak_mb()
    started = time.perf_counter()
    try:
        for name, kind, entity in SOURCES:

            def pages(kind: str = kind, name: str = name) -> Iterator[list[RawRecord]]:
                for page, n in stream_pages(kind, max(1, lines // len(SOURCES))):
                    counted[name] += n
                    yield page

            summary = sync(source_config(name, kind, entity), entity, store, ReplayConnector(name, pages()))
            pulled, loaded = pulled + summary.pulled, loaded + summary.loaded
    finally:
        store.close()
    seconds = time.perf_counter() - started
    total = sum(counted.values())
    return {
        "lines": total,
        "records_pulled": pulled,
        "records_loaded": loaded,
        "seconds": round(seconds, 1),
        "lines_per_s": round(total / seconds),
        "peak_mb_before": started_mb,
        "peak_mb": peak_mb(),
        "gx_worker_peak_mb": gx_run.submit(peak_mb).result(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="50000,200000,1000000", help="comma-separated corpus sizes (line records)")
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--pg", default=os.environ.get("TRACEHUB_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON report (default <home>/bench/rss.json)")
    parser.add_argument("--one", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_size(args.one, int(args.lines))))
        return
    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": args.backend,
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="tracehub-rss-") as work:
        for size in (int(n) for n in args.lines.split(",")):
            with fresh_database(args.backend, args.pg, Path(work), f"rss{size}") as url:
                command = [sys.executable, "-m", "benchmarks.rss", "--lines", str(size), "--one", url]
                figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            report["sizes"].append(figures)
            print(
                f"{figures['lines']:>9} lines: peak RSS {figures['peak_mb']} MB "
                f"({figures['peak_mb_before']} MB before the first page), GX worker {figures['gx_worker_peak_mb']} MB, "
                f"{figures['lines_per_s']} lines/s",
                flush=True,
            )
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    out = args.out or settings.home() / "bench" / "rss.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"load average before {report['load_before']}, after {report['load_after']}; written to {out}")


if __name__ == "__main__":
    main()
