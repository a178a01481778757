"""Sync one source entity: pull pages, skip unchanged, map, validate, land one batch per transaction.

This is architecture rules 1-4 in code. Pages stream through in bounded batches; each batch is
committed by the store in one transaction together with the run counts and the new cursor, so
a crash re-pulls at most the batches in flight and a re-run of any window changes nothing.

Three batches overlap: while batch N+2 is mapped, GX validates batch N+1 in its worker process
and batch N commits on the loader thread. So at most three batches are in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.base import Connector, RawRecord
from connectors.config import SourceConfig
from connectors.metrics import collecting
from data_dictionary import collector
from data_dictionary.identity import Items
from pipeline import drift, drops
from pipeline.checks import (
    Checked,
    Correction,
    PendingChecks,
    correct_records,
    mapping_for,
    start_checks,
    to_quarantine,
)
from pipeline.run_log import in_context, run_context
from trace_store.batch import LandedRaw, LoadBatch, pulled_key
from trace_store.store import Store

if TYPE_CHECKING:
    from mappings import Mapping

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 16 * 1024 * 1024

Pulled = tuple[RawRecord, str, int]
"""A pulled record with the key it is looked up by and the size of its text (`pulled_key`)."""

Changed = tuple[RawRecord, LandedRaw]
"""A record the store does not hold, with its canonical text and hash, to map, check and land."""


@dataclass
class RunSummary:
    """Counts of one sync run; pulled == unchanged + loaded + quarantined."""

    source: str
    entity: str
    run_id: int
    pulled: int = 0
    unchanged: int = 0
    loaded: int = 0
    quarantined: int = 0

    def add(self, batch: LoadBatch) -> None:
        self.pulled += batch.pulled
        self.unchanged += batch.unchanged
        self.loaded += batch.loaded
        self.quarantined += len(batch.quarantined)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "entity": self.entity,
            "run_id": self.run_id,
            "pulled": self.pulled,
            "unchanged": self.unchanged,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
        }


def sync_window(
    source: SourceConfig, store: Store, entity: str, full: bool = False
) -> tuple[datetime | None, datetime]:
    """The window to pull: from the cursor minus the lookback (or the beginning), to now minus the safety lag."""
    until = datetime.now(UTC) - timedelta(seconds=source.safety_lag_seconds)
    cursor = None if full else store.cursor(source.name, entity)
    since = cursor - timedelta(minutes=source.lookback_minutes) if cursor else None
    return since, until


def sync(
    source: SourceConfig,
    entity: str,
    store: Store,
    connector: Connector,
    on_batch: Callable[[RunSummary], None] | None = None,
    full: bool = False,
    wait_seconds: float = 0,
) -> RunSummary:
    """Run one incremental sync of `entity` from `source` into `store` and return its counts.

    `full` re-pulls from the beginning instead of the cursor: a backfill that, thanks to the
    content hashes, loads only what really changed.

    Any error marks the run failed (the cursor stays where the last committed batch left it)
    and is raised again for the scheduler to retry. One run per source and entity at a time:
    when another holds the lock for `wait_seconds`, SyncInProgress is raised and nothing starts.
    """
    mapping = mapping_for(source, entity)
    with store.run_lock(source.name, entity, wait_seconds):
        summary = RunSummary(source.name, entity, store.begin_run(source.name, entity))
        with run_context(source.name, entity, summary.run_id):
            return _pull_and_land(source, entity, store, connector, mapping, on_batch, full, summary)


def _pull_and_land(
    source: SourceConfig,
    entity: str,
    store: Store,
    connector: Connector,
    mapping: Mapping,
    on_batch: Callable[[RunSummary], None] | None,
    full: bool,
    summary: RunSummary,
) -> RunSummary:
    since, until = sync_window(source, store, entity, full)
    items = store.items()
    ordered = connector.ordered(entity)
    latest: datetime | None = None
    drops.attach(connector, store)
    try:
        with collecting() as metrics, collector.steady() as settle, _Committer(store, summary, on_batch) as committer:
            checking: _Staged | None = None  # validated by GX in its worker while the next batch is mapped
            for raws in _batches(connector.pull(entity, since, until), source.batch_records):
                in_flight = committer.in_flight() | (checking.in_flight() if checking else {})
                staged = _stage(summary.run_id, source, entity, raws, store, mapping, in_flight, items)
                settle()  # the mapping is warm after one batch: collections skip it from now on
                newest = min(max(raw.updated_at for raw, _, _ in raws), until)
                latest = max(latest, newest) if latest else newest
                staged.batch.cursor = newest if ordered else None
                if checking is not None:
                    committer.submit(_finish(checking, store))
                checking = staged
            if checking is not None:
                committer.submit(_finish(checking, store))
            if not ordered and latest is not None:  # the window landed whole: only now may the cursor move
                committer.submit(LoadBatch(summary.run_id, source.name, entity, 0, 0, cursor=latest))
        drops.settle(connector, store, summary.run_id)  # files are recorded once their rows have landed
    except BaseException as exc:
        store.finish_run(summary.run_id, error=f"{type(exc).__name__}: {exc}", requests=metrics.as_dict())
        raise
    store.finish_run(summary.run_id, requests=metrics.as_dict())
    log.info("sync %s/%s done: %s", source.name, entity, summary.as_dict())
    return summary


class _Committer:
    """Commits batch N in one worker thread while the caller prepares the batches after it.

    Batches still commit one at a time and in order, so cursors only move forward; the database
    works on another core meanwhile.
    """

    def __init__(self, store: Store, summary: RunSummary, on_batch: Callable[[RunSummary], None] | None) -> None:
        self._store = store
        self._summary = summary
        self._on_batch = on_batch
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracehub-load")
        self._pending: tuple[Future[Any], LoadBatch] | None = None

    def in_flight(self) -> dict[str, tuple[str, datetime]]:
        """Content hashes of the batch being committed: newer than what the store answers yet."""
        if self._pending is None:
            return {}
        return {r.external_id: (r.content_hash, r.updated_at) for r in self._pending[1].landed}

    def submit(self, batch: LoadBatch) -> None:
        self._drain()
        self._pending = (self._pool.submit(in_context(self._store.commit_batch), batch), batch)

    def _drain(self) -> None:
        if self._pending is None:
            return
        future, batch = self._pending
        self._pending = None
        future.result()
        self._summary.add(batch)
        if self._on_batch:
            self._on_batch(self._summary)

    def __enter__(self) -> _Committer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self._drain()
            elif self._pending is not None:
                wait([self._pending[0]])  # the run is closed only after its last transaction ended
        finally:
            self._pool.shutdown(wait=True)


def _batches(pages: Iterable[list[RawRecord]], max_records: int) -> Iterator[list[Pulled]]:
    """Group pages into batches bounded by record count and payload bytes."""
    batch: list[Pulled] = []
    size = 0
    for page in pages:
        for raw in page:
            key, text_size = pulled_key(raw.payload)
            batch.append((raw, key, text_size))
            size += text_size
        if len(batch) >= max_records or size >= MAX_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass(slots=True)
class _Staged:
    """A batch split into unchanged and changed records, the changed ones mapped and with GX."""

    batch: LoadBatch
    changed: list[Changed]
    checks: PendingChecks | None
    """None: nothing changed, so nothing to map, validate or tally."""
    fields: Future[dict[str, tuple[str, int]]] | None = None
    """The tally of the changed payloads' paths, made beside GX (`drift.start_tally`)."""

    def in_flight(self) -> dict[str, tuple[str, datetime]]:
        """Content hashes of this batch's changed records: newer than what the store answers yet."""
        return {version.external_id: (version.content_hash, version.updated_at) for _, version in self.changed}


def _stage(
    run_id: int,
    source: SourceConfig,
    entity: str,
    pulled: list[Pulled],
    store: Store,
    mapping: Mapping,
    in_flight: dict[str, tuple[str, datetime]],
    items: Items,
) -> _Staged:
    """Split a batch into unchanged and changed raw records (rule 2); map the changed ones and send
    their records to GX (rule 3), which `_finish` waits for."""
    batch = LoadBatch(
        run_id=run_id,
        source=source.name,
        entity=entity,
        pulled=len(pulled),
        unchanged=0,
        kind=source.kind,
        mapping_options=mapping.options.as_dict(),
    )
    latest = _latest(pulled)
    batch.unchanged += len(pulled) - len(latest)  # the same record twice in one window: the later version counts

    same, stored = store.stored_versions(source.name, entity, {k: key for k, (_, key, _) in latest.items()})
    same -= in_flight.keys()  # the batches not yet committed are newer than what the store answers
    if len(same) == len(latest):  # a re-sync of unchanged data: no record to look at one by one
        batch.unchanged += len(same)
        return _Staged(batch, [], None)
    versions = {
        k: LandedRaw.of(k, raw.updated_at, raw.payload, key) for k, (raw, key, _) in latest.items() if k not in same
    }
    for external_id, version in versions.items():
        if external_id not in in_flight and stored.get(external_id) == version.content_hash:
            same.add(external_id)  # the same content, pulled with its keys in another order (or before keys were kept)
            batch.rekeyed.append(version)
    differ = [k for k in versions if k in stored and k not in same and k not in in_flight]
    held = store.held_times(source.name, entity, differ) if differ else {}
    for external_id, (content_hash, updated_at) in in_flight.items():
        if external_id in versions:
            if content_hash == versions[external_id].content_hash:
                same.add(external_id)
            held[external_id] = updated_at
    changed: list[Changed] = []
    for external_id, version in versions.items():
        raw = latest[external_id][0]
        if external_id not in same and held.get(external_id, raw.updated_at) <= raw.updated_at:
            changed.append((raw, version))  # else same content, or older than what we hold: newer wins
    batch.unchanged += len(latest) - len(changed)

    if not changed:  # same content, or older: nothing to map, validate or tally
        return _Staged(batch, [], None)
    batch.landed = [version for _, version in changed]
    checks = start_checks(mapping, source.name, entity, [(raw.payload, raw.updated_at) for raw, _ in changed], items)
    fields = drift.start_tally([version.payload_json for version in batch.landed])
    return _Staged(batch, changed, checks, fields)


def _finish(staged: _Staged, store: Store) -> LoadBatch:
    """The staged batch with GX's verdict: loaded records, and quarantined raw records with every rule they broke."""
    batch, changed = staged.batch, staged.changed
    if staged.checks is None or staged.fields is None:
        return batch
    checked = staged.checks.results()
    batch.fields = staged.fields.result()
    known = drift.Known(*store.payload_fields(batch.source, batch.entity))
    batch.fields_are_additions = known.has_history
    _apply_corrections(store, batch.source, batch.entity, changed, checked)
    for (raw, version), result in zip(changed, checked, strict=True):
        if result.corrected:
            batch.corrected.add(raw.external_id)
        if result.failures:
            failures = drift.reclassify(result.failures, drift.shape(raw.payload), known)
            batch.quarantined.append(
                to_quarantine(raw.external_id, version.content_hash, raw.payload, result.records, failures)
            )
            continue
        batch.loaded += 1
        batch.records.extend(result.records)
        batch.record_raw_ids.extend(raw.external_id for _ in result.records)
    return batch


def _latest(pulled: list[Pulled]) -> dict[str, Pulled]:
    """External id -> its latest version in the batch (pull order kept)."""
    latest = {one[0].external_id: one for one in pulled}
    if len(latest) == len(pulled):
        return latest
    latest = {}
    for one in pulled:
        seen = latest.get(one[0].external_id)
        if seen is None or seen[0].updated_at <= one[0].updated_at:
            latest[one[0].external_id] = one
    return latest


def _apply_corrections(store: Store, source: str, entity: str, changed: list[Changed], checked: list[Checked]) -> None:
    """A failing version a steward corrected before loads with its corrections, re-validated as
    they were when made, instead of being quarantined again."""
    pairs = list(zip(changed, checked, strict=True))
    failing = [(version.external_id, version.content_hash) for (_, version), r in pairs if r.failures]
    found = store.corrections(source, entity, failing) if failing else {}
    for (_, version), result in pairs:
        fixes = found.get((version.external_id, version.content_hash))
        if not fixes or not result.records:
            continue
        corrected = correct_records(entity, result.records, [Correction(*fix) for fix in fixes])
        if not corrected.failures:
            result.records, result.failures, result.corrected = corrected.records, [], True
