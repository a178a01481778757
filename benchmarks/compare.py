"""Tracehub beside the loaders people would use instead, on the same records in one interleaved run.

Paths, each on a fresh store (a PostgreSQL database of its own, dropped after the round):

- `tracehub` full pipeline (content hash, map, GX validate, load) of ShipBob shipments and
  Shopify orders in the vendors' shapes, then an unchanged re-sync of the same pages;
- `loader` only: the batches the first full run committed, replayed into an empty store;
- `dlt_dict` / `dlt_arrow`: dlt merge (primary key) of the same records flattened to one row per
  line, from Python dicts and from one Arrow table;
- `copy`: psycopg COPY of those rows into a table with no index, the floor of what loading costs.

Every path loads the same line rows: those of the records that pass our checks (the corpus
holds some bad records on purpose; they are quarantined, and the comparators never see them).
Wall and client CPU time per path and round (client: this process and the GX worker it forks,
`quality_checks.gx_run`); PostgreSQL backend CPU too, sampled from /proc when the server runs on
this machine.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.corpus import clone_pages, device_master
from connectors.base import RawRecord
from connectors.config import SourceConfig
from data_dictionary.models import Order, Record, Shipment
from pipeline.sync import sync
from quality_checks import gx_run
from trace_store.batch import LoadBatch
from trace_store.store import Store

SOURCES = (("warehouse", "shipbob", "shipment"), ("shop", "shopify", "order"))
"""(source name, platform, entity) of the corpus: ShipBob shipments and Shopify orders."""

LINE_COLUMNS = (
    "source",
    "entity",
    "doc_id",
    "line_no",
    "order_number",
    "doc_time",
    "party",
    "gtin",
    "sku",
    "lot",
    "serial",
    "qty",
    "source_updated_at",
)
"""One flattened line row, as the comparators load it; (source, entity, doc_id, line_no) is its key."""

TRACEHUB_PATHS = ("tracehub", "loader")
PG_ONLY_PATHS = ("dlt_dict", "dlt_arrow", "copy")
RATIOS = {"dlt_dict": "tracehub_over_dlt_dict", "dlt_arrow": "tracehub_over_dlt_arrow", "copy": "tracehub_over_copy"}


class ReplayConnector:
    """Serves landed raw pages from memory, so the benchmark measures our work, not HTTP."""

    def __init__(self, source: str, pages: Iterable[list[RawRecord]]) -> None:
        self.source = source
        self.pages = pages

    def check(self) -> str:
        return "replay"

    def ordered(self, entity: str) -> bool:
        return True

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        yield from self.pages


def source_config(name: str, kind: str, entity: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": name,
            "kind": kind,
            "base_url": "http://replay.invalid",
            "entities": [entity],
            "credentials": {"env": "UNUSED"},
        }
    )


class _CapturingStore(Store):
    """A store that keeps every batch it commits, so the loader path can replay exactly those."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.batches: list[LoadBatch] = []

    def commit_batch(self, batch: LoadBatch) -> dict[str, int]:
        self.batches.append(batch)
        return super().commit_batch(batch)


@dataclasses.dataclass
class Corpus:
    """The raw pages every round replays; the batches and line rows come from the first full run."""

    pages: dict[str, list[list[RawRecord]]]
    raw_records: int
    raw_lines: int
    batches: list[LoadBatch] = dataclasses.field(default_factory=list)
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    arrow: Any = None

    @classmethod
    def generate(cls, lines: int) -> Corpus:
        """About `lines` vendor line records, half ShipBob shipments, half Shopify orders."""
        pages, raw_lines = {}, 0
        for name, kind, _ in SOURCES:
            pages[name], n = clone_pages(kind, max(1, lines // len(SOURCES)))
            raw_lines += n
        return cls(pages, sum(len(p) for ps in pages.values() for p in ps), raw_lines)

    def head(self) -> Corpus:
        """The first page of each source: enough to pay every one-off import and first-use cost."""
        pages = {name: pages[:1] for name, pages in self.pages.items()}
        return Corpus(pages, sum(len(p) for ps in pages.values() for p in ps), 0)

    def capture(self, batches: list[LoadBatch]) -> None:
        self.batches = batches
        self.rows = [row for batch in batches for record in batch.records for row in flat_lines(record)]

    def arrow_table(self) -> Any:
        """The line rows as one Arrow table (built once, outside any timing)."""
        if self.arrow is None:
            import pyarrow as pa

            self.arrow = pa.Table.from_pylist(self.rows)
        return self.arrow


def flat_lines(record: Record) -> list[dict[str, Any]]:
    """The line rows of a shipment or an order, each carrying its header's key, time and party."""
    doc_id: str
    party: str | None
    if isinstance(record, Shipment):
        doc_id, doc_time, party = record.shipment_id, record.ship_date, record.ship_to_name
        lines = [(line.line_no, line.gtin, line.sku, line.lot, line.serial, line.qty) for line in record.lines]
    elif isinstance(record, Order):
        doc_id, doc_time, party = record.order_number, record.order_date, record.customer_name
        lines = [(line.line_no, line.gtin, line.sku, None, None, line.qty) for line in record.lines]
    else:
        return []
    entity = "shipment" if isinstance(record, Shipment) else "order"
    return [
        {
            "source": record.source,
            "entity": entity,
            "doc_id": doc_id,
            "line_no": no,
            "order_number": record.order_number,
            "doc_time": doc_time,
            "party": party,
            "gtin": gtin,
            "sku": sku,
            "lot": lot,
            "serial": serial,
            "qty": qty,
            "source_updated_at": record.source_updated_at,
        }
        for no, gtin, sku, lot, serial, qty in lines
    ]


@dataclasses.dataclass
class Timing:
    """One path in one round."""

    wall: float
    cpu: float
    lines: int
    pg_cpu: float | None = None
    resync_wall: float | None = None


class _BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one database, sampled from /proc.

    A backend starts at zero CPU when forked, so the last figure seen per pid is its total; a
    backend that ends between two samples loses at most one interval. None when the server is
    not on this machine.
    """

    def __init__(self, url: str, interval: float = 0.2) -> None:
        # autocommit: within one transaction pg_stat_activity is a snapshot, blind to new backends
        self._engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
        self._interval = interval
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self.available = False

    def _sample(self, conn: sa.Connection) -> None:
        pids = conn.execute(
            sa.text("select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")
        ).scalars()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended since the query
            self._seen[pid] = (int(fields[11]) + int(fields[12])) / self._tick

    def _run(self) -> None:
        with self._engine.connect() as conn:
            own = conn.execute(sa.text("select pg_backend_pid()")).scalar_one()
            self.available = Path(f"/proc/{own}/comm").is_file()  # else the server runs elsewhere
            while not self._stop.wait(self._interval):
                self._sample(conn)
            self._sample(conn)

    def __enter__(self) -> _BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()

    def seconds(self) -> float | None:
        return round(sum(self._seen.values()), 3) if self.available and self._seen else None


def _client_cpu() -> float:
    """CPU seconds of this process and of its GX worker so far."""
    return time.process_time() + gx_run.submit(time.process_time).result()


@contextmanager
def _timed(url: str | None) -> Iterator[dict[str, float | None]]:
    """Wall and client CPU seconds of the block (and backend CPU of `url`'s database on PostgreSQL).

    Client CPU is this process's and its GX worker's, which validates beside the sync.

    The harness's own objects (the corpus in memory, the captured batches) are frozen out of the
    garbage collector first: a sync process holds one batch, and every path should pay for the
    objects it makes, not for the benchmark's. A sync hands the collector back whole when it ends
    (`data_dictionary.collector.steady`), so the Tracehub paths freeze again after each one.
    """
    out: dict[str, float | None] = {}
    sampler = _BackendCpu(url) if url and url.startswith("postgresql") else None
    gc.collect()
    gc.freeze()
    wall, cpu = time.perf_counter(), _client_cpu()
    if sampler:
        sampler.__enter__()
    try:
        yield out
    finally:
        out["wall"], out["cpu"] = time.perf_counter() - wall, _client_cpu() - cpu
        gc.unfreeze()
        if sampler:
            sampler.__exit__()
            out["pg_cpu"] = sampler.seconds()


def fresh_store(url: str) -> Store:
    store = Store.open(url)
    store.upgrade()
    devices = device_master()  # as the ERP's sync lands them: warehouse lines name SKUs only
    run_id = store.begin_run("erp", "device")
    store.commit_batch(LoadBatch(run_id, "erp", "device", len(devices), 0, records=devices, loaded=len(devices)))
    store.finish_run(run_id)
    return store


def _stored_lines(store: Store) -> int:
    with store.connect() as conn:
        return sum(
            conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()
            for table in ("shipment_line", "order_line")
        )


def run_tracehub(url: str, corpus: Corpus, capture: bool) -> Timing:
    """The full pipeline per source, then the same pages again (nothing changed: nothing is written)."""
    store = fresh_store(url)
    if capture:
        store = _CapturingStore(store.engine)
    try:
        configs = [(source_config(name, kind, entity), entity, corpus.pages[name]) for name, kind, entity in SOURCES]
        with _timed(url) as first:
            for config, entity, pages in configs:
                sync(config, entity, store, ReplayConnector(config.name, pages))
                gc.freeze()  # a sync hands the collector back whole at its end: the harness's objects go out again
        if isinstance(store, _CapturingStore):
            corpus.capture(store.batches)
            store.batches = []
        lines = _stored_lines(store)
        with _timed(None) as again:
            for config, entity, pages in configs:
                summary = sync(config, entity, store, ReplayConnector(config.name, pages))
                gc.freeze()
                assert summary.loaded == 0 and summary.unchanged == summary.pulled, summary
        assert _stored_lines(store) == lines
    finally:
        store.close()
    return Timing(_f(first["wall"]), _f(first["cpu"]), lines, first.get("pg_cpu"), _f(again["wall"]))


def run_loader(url: str, corpus: Corpus) -> Timing:
    """Commit the batches the full pipeline prepared, under runs of this store."""
    store = fresh_store(url)
    try:
        with _timed(url) as took:
            for name, _, entity in SOURCES:
                run_id = store.begin_run(name, entity)
                for batch in corpus.batches:
                    if (batch.source, batch.entity) == (name, entity):
                        store.commit_batch(dataclasses.replace(batch, run_id=run_id))
                store.finish_run(run_id)
        lines = _stored_lines(store)
    finally:
        store.close()
    return Timing(_f(took["wall"]), _f(took["cpu"]), lines, took.get("pg_cpu"))


def run_dlt(url: str, corpus: Corpus, arrow: bool, chunk: int = 10_000) -> Timing:
    """dlt's merge of the flattened lines (its default delete-insert strategy) into PostgreSQL."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt

    parsed = sa.make_url(url)
    # dlt insists on a password; a server with trust auth (as in development) never asks for it
    parsed = parsed.set(drivername="postgresql", password=parsed.password or "unused")
    credentials = parsed.render_as_string(hide_password=False)
    key = ["source", "entity", "doc_id", "line_no"]
    rows = corpus.rows
    table = corpus.arrow_table() if arrow else None

    def lines() -> Iterator[Any]:
        if table is not None:
            yield table
            return
        for start in range(0, len(rows), chunk):
            yield rows[start : start + chunk]

    with tempfile.TemporaryDirectory(prefix="tracehub-bench-dlt-") as pipelines_dir:
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{uuid.uuid4().hex[:8]}",
            destination=dlt.destinations.postgres(credentials=credentials),
            dataset_name="bench",
            pipelines_dir=pipelines_dir,
        )
        resource = dlt.resource(lines(), name="line", write_disposition="merge", primary_key=key)
        with _timed(url) as took:
            pipeline.run(resource)
        with pipeline.sql_client() as client:
            counted = client.execute_sql("select count(*) from line")
    return Timing(_f(took["wall"]), _f(took["cpu"]), int(counted[0][0]) if counted else 0, took.get("pg_cpu"))


COPY_TABLE = """create table line (
    source text, entity text, doc_id text, line_no integer, order_number text, doc_time timestamptz,
    party text, gtin text, sku text, lot text, serial text, qty numeric, source_updated_at timestamptz
)"""


def run_copy(url: str, corpus: Corpus) -> Timing:
    """psycopg COPY of the same rows into a table with no key and no index."""
    import psycopg

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(COPY_TABLE)
        conn.commit()
        with _timed(url) as took:
            with conn.cursor() as cursor, cursor.copy(f"copy line ({', '.join(LINE_COLUMNS)}) from stdin") as copy:
                for row in corpus.rows:
                    copy.write_row([row[c] for c in LINE_COLUMNS])
            conn.commit()
        loaded = conn.execute("select count(*) from line").fetchone()
    return Timing(_f(took["wall"]), _f(took["cpu"]), int(loaded[0]) if loaded else 0, took.get("pg_cpu"))


@contextmanager
def fresh_database(backend: str, pg_admin: str, work: Path, label: str) -> Iterator[str]:
    """An empty database for one path and round: a PostgreSQL database or a SQLite file, gone afterwards."""
    if backend == "sqlite":
        path = work / f"{label}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"tracehub_bench_{label}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(pg_admin, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def plan(backends: list[str], with_dlt: bool) -> list[tuple[str, str]]:
    """(path, backend) in the order each round runs them; the first full run captures the batches."""
    steps = [(path, backend) for path in TRACEHUB_PATHS for backend in backends]
    if "postgresql" in backends:
        steps += [(path, "postgresql") for path in PG_ONLY_PATHS if with_dlt or not path.startswith("dlt")]
    return steps


def run(
    lines: int,
    rounds: int,
    backends: list[str],
    pg_admin: str,
    with_dlt: bool,
    on_step: Callable[[int, str, Timing], None] | None = None,
) -> dict[str, Any]:
    """Generate the corpus, run every path `rounds` times interleaved, and summarise."""
    started = time.perf_counter()
    corpus = Corpus.generate(lines)
    generate_seconds = time.perf_counter() - started
    steps = plan(backends, with_dlt)
    timings: dict[str, list[Timing]] = {f"{path}_{backend}": [] for path, backend in steps}
    loads: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="tracehub-bench-") as work:
        warm = corpus.head()
        for path, backend in steps:  # untimed: imports, GX's first context, dlt's first pipeline
            with fresh_database(backend, pg_admin, Path(work), f"warm_{path}") as url:
                _run_path(path, url, warm)
        for n in range(rounds):
            for path, backend in steps:
                label = f"{path}_{backend}"
                with fresh_database(backend, pg_admin, Path(work), label) as url:
                    timing = _run_path(path, url, corpus)
                timings[label].append(timing)
                if on_step:
                    on_step(n, label, timing)
            loads.append(os.getloadavg())
    return summarise(corpus, timings, generate_seconds, loads)


def _run_path(path: str, url: str, corpus: Corpus) -> Timing:
    if path == "tracehub":
        return run_tracehub(url, corpus, capture=not corpus.batches)
    if path == "loader":
        return run_loader(url, corpus)
    if path == "copy":
        return run_copy(url, corpus)
    return run_dlt(url, corpus, arrow=path == "dlt_arrow")


def summarise(
    corpus: Corpus, timings: dict[str, list[Timing]], generate_seconds: float, loads: list[tuple[float, float, float]]
) -> dict[str, Any]:
    """Per path: lines/s median and spread, CPU per line; then Tracehub's ratios to the others per backend."""
    paths: dict[str, Any] = {}
    for label, runs in timings.items():
        rates = [t.lines / t.wall for t in runs]
        paths[label] = {
            "lines": [t.lines for t in runs],
            "wall_s": [t.wall for t in runs],
            "lines_per_s": _spread(rates, digits=0),
            "client_cpu_us_per_line": _spread([t.cpu / t.lines * 1e6 for t in runs]),
            "pg_cpu_us_per_line": _spread([t.pg_cpu / t.lines * 1e6 for t in runs if t.pg_cpu is not None]),
        }
        resyncs = [t.resync_wall / t.wall * 100 for t in runs if t.resync_wall is not None]
        if resyncs:
            paths[label]["resync_pct_of_first"] = _spread(resyncs)
    ratios: dict[str, Any] = {}
    if "tracehub_postgresql" in timings:
        ours = [t.lines / t.wall for t in timings["tracehub_postgresql"]]
        for label, name in RATIOS.items():
            other = timings.get(f"{label}_postgresql")
            if other:
                # round by round: both ran minutes apart under the same load
                ratios[name] = _spread([a / (b.lines / b.wall) for a, b in zip(ours, other, strict=True)], digits=3)
    return {
        "raw_records": corpus.raw_records,
        "raw_line_records": corpus.raw_lines,
        "lines": len(corpus.rows),
        "generate_seconds": round(generate_seconds, 1),
        "load_after_each_round": [[round(x, 2) for x in load] for load in loads],
        "paths": paths,
        "ratios": ratios,
    }


def _spread(values: list[float], digits: int = 1) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def _f(value: float | None) -> float:
    assert value is not None
    return round(value, 3)
