"""The quarantine lifecycle: review, replay, accept and reject quarantined records.

The CLI and the web console both call these functions, so a rule holds wherever a steward acts.
Every refusal is a `StewardError` raised before anything is written. Every transition of a
quarantined record is one row in `quarantine_event` and one entry in the hash-chained audit log,
written in the same transaction as the change itself. Records that load (replay, accept) go
through the normal loader inside a run recorded in `sync_run`, so conservation still adds up.

Lifecycle: open -> replayed (now passes) | open (still fails, new reasons) | accepted (loaded
despite its rules, by a steward's decision) | corrected (loaded with a steward's corrections,
`steward.corrections`) | rejected (never loads); superseded, linked to its successor, when a newer
version of the record arrives (closed by the loader).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import to_jsonable
from steward.inputs import StewardError, check_actor, validate_reason

if TYPE_CHECKING:
    from mappings import Mapping
from trace_store import audit
from trace_store.batch import LandedRaw, LoadBatch
from trace_store.loader import write_batch
from trace_store.schema import (
    quarantine,
    quarantine_correction,
    quarantine_event,
    raw_current,
    raw_version,
    sales_order,
    sync_run,
)
from trace_store.sql import chunks, in_list
from trace_store.store import Store, device_items

STATUSES = ("open", "superseded", "replayed", "accepted", "rejected", "corrected")
PAGE_MAX = 1000
REPLAY_CHUNK = 500
"""Records per replay transaction: bounded memory and lock time, one run for the whole replay."""
REPLAY_WAIT_SECONDS = 30
"""How long a replay waits for a sync of the same source and entity to finish before it gives up."""


@dataclass
class ReplayResult:
    """What a replay did: `replayed` records re-checked, of which `loaded` now pass."""

    replayed: int = 0
    loaded: int = 0
    still_failing: int = 0
    loaded_ids: list[int] = field(default_factory=list)
    still_failing_ids: list[int] = field(default_factory=list)
    superseded_ids: list[int] = field(default_factory=list)
    """Open rows skipped because a newer version of their record exists (now marked superseded)."""
    run_ids: list[int] = field(default_factory=list)


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise StewardError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")


# ---- reading the quarantine -------------------------------------------------------------------

_LIST_COLUMNS = [c for c in quarantine.c if c.name != "payload"]
BULK_MAX = 500
"""Most records one bulk action may decide: a larger set is narrowed with a filter first."""


def business_key(entity: str, mapped: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """The record's business key as (field, value) pairs, read from what the mapping made of it
    (the entity's key in the store, without the source): an order number, a shipment id, a lot.
    Empty when the payload could not be mapped."""
    from trace_store.rows import ENTITY_TABLES

    tables = ENTITY_TABLES.get(entity)
    if not mapped or tables is None:
        return []
    pairs = []
    for doc in mapped:
        for name in tables.key:
            value = doc.get(name)
            if name != "source" and value not in (None, "") and (name, str(value)) not in pairs:
                pairs.append((name, str(value)))
    return pairs


def _where(
    source: str | None, entity: str | None, rule: str | None, status: str | None
) -> list[sa.ColumnElement[bool]]:
    q = quarantine.c
    where: list[sa.ColumnElement[bool]] = []
    if status is not None:
        where.append(q.status == status)
    if source:
        where.append(q.source == source)
    if entity:
        where.append(q.entity == entity)
    if rule:
        where.append(_has_rule(rule))
    return where


def quarantine_groups(
    store: Store, *, source: str | None = None, entity: str | None = None, status: str | None = "open"
) -> list[dict[str, Any]]:
    """How many records each (rule, source, entity) holds, largest first (a record counts once per rule)."""
    _check_status(status)
    q = quarantine.c
    counts: dict[tuple[str, str, str], int] = {}
    with store.connect() as conn:
        query = (
            sa.select(q.rules, q.source, q.entity, sa.func.count())
            .where(*_where(source, entity, None, status))
            .group_by(q.rules, q.source, q.entity)
        )
        for rules, src, ent, n in conn.execute(query):
            for rule in rules.split(","):
                if rule:
                    counts[(rule, src, ent)] = counts.get((rule, src, ent), 0) + n
    return [
        {"rule": rule, "source": src, "entity": ent, "count": n}
        for (rule, src, ent), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def list_quarantine(
    store: Store,
    *,
    source: str | None = None,
    entity: str | None = None,
    rule: str | None = None,
    status: str | None = "open",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of quarantined records (newest first) without payloads, and how many match in all.

    `status` None lists every status. Each row has `rules` as a list and every `failures` entry.
    """
    _check_status(status)
    if not 1 <= limit <= PAGE_MAX:
        raise StewardError(f"limit must be between 1 and {PAGE_MAX}, not {limit}")
    if offset < 0:
        raise StewardError(f"offset must not be negative, not {offset}")
    q = quarantine.c
    where = _where(source, entity, rule, status)
    with store.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(quarantine).where(*where)).scalar_one()
        query = sa.select(*_LIST_COLUMNS).where(*where).order_by(q.last_seen_at.desc(), q.id.desc())
        rows = []
        for r in conn.execute(query.limit(limit).offset(offset)):
            data = dict(r._mapping)
            data["business_key"] = business_key(data["entity"], data.pop("mapped"))
            rows.append(_row(data))
    return rows, total


def matching_open(
    store: Store, *, source: str | None = None, entity: str | None = None, rule: str | None = None
) -> list[int]:
    """Ids of the open records a filter matches, for a bulk action (at most BULK_MAX + 1 of them)."""
    q = quarantine.c
    with store.connect() as conn:
        query = sa.select(q.id).where(*_where(source, entity, rule, "open")).order_by(q.id).limit(BULK_MAX + 1)
        return [r.id for r in conn.execute(query)]


@dataclass
class BulkResult:
    """What a bulk decision did: the records it decided, and for a replay how many now load."""

    action: str
    ids: list[int] = field(default_factory=list)
    loaded: int = 0
    still_failing: int = 0


def bulk_decide(
    store: Store,
    action: str,
    *,
    expected: int,
    source: str | None = None,
    entity: str | None = None,
    rule: str | None = None,
    reason: str = "",
    actor: str,
) -> BulkResult:
    """Accept, reject or replay every open record a filter matches, each one audited on its own.

    `expected` is the count the steward confirmed; when the filter now matches another number (a
    sync or another steward moved records) nothing is done. At most BULK_MAX records at once.
    """
    if action not in ("accept", "reject", "replay"):
        raise StewardError(f"unknown bulk action {action!r}; choose accept, reject or replay")
    actor = check_actor(actor)
    if action != "replay":
        reason = validate_reason(reason)
    if not (source or entity or rule):
        raise StewardError("a bulk action needs a filter: a rule, a source or an entity")
    ids = matching_open(store, source=source, entity=entity, rule=rule)
    if len(ids) > BULK_MAX:
        raise StewardError(f"the filter matches more than {BULK_MAX} open records; narrow it first")
    if len(ids) != expected:
        raise StewardError(f"the filter now matches {len(ids)} open records, not the {expected} confirmed; look again")
    if not ids:
        raise StewardError("the filter matches no open record")
    result = BulkResult(action, ids)
    if action == "replay":
        replayed = replay(store, ids=ids, actor=actor)
        result.loaded, result.still_failing = replayed.loaded, replayed.still_failing
        return result
    if action == "accept":
        with store.connect() as conn:  # refuse before any change
            unmapped = [qid for qid in ids if fetch_row(conn, qid)["mapped"] is None]
        if unmapped:
            raise StewardError(
                f"{len(unmapped)} of these records could not be mapped, so accepting loads nothing "
                f"(first: {unmapped[0]}); narrow the filter, or reject them"
            )
        for qid in ids:
            accept(store, qid, reason=reason, actor=actor)
        return result
    with store.transaction() as conn:
        now = datetime.now(UTC)
        for qid in ids:
            row = fetch_row(conn, qid, lock=True)
            require_open(row, "rejected")
            set_raw_status(conn, row, "rejected")
            transition(conn, row, "reject", "rejected", actor, now, reason, details={"bulk": len(ids)})
    return result


def get_quarantine(store: Store, qid: int) -> dict[str, Any]:
    """One quarantined record in full: payload, mapped record, failures, current raw status, history."""
    with store.connect() as conn:
        row = fetch_row(conn, qid)
        current = conn.execute(
            sa.select(raw_current.c.content_hash, raw_current.c.status).where(
                raw_current.c.source == row["source"],
                raw_current.c.entity == row["entity"],
                raw_current.c.external_id == row["external_id"],
            )
        ).first()
        e = quarantine_event.c
        events = conn.execute(
            sa.select(e.at, e.actor, e.action, e.from_status, e.to_status, e.reason, e.run_id, e.details)
            .where(e.quarantine_id == qid)
            .order_by(e.id)
        )
        history = [to_jsonable(dict(ev._mapping)) for ev in events]
        successor = None
        if row["superseded_by"] is not None:
            found = conn.execute(
                sa.select(quarantine.c.id, quarantine.c.status).where(quarantine.c.id == row["superseded_by"])
            ).first()
            successor = {"id": found.id, "status": found.status} if found else None
        k = quarantine_correction.c
        corrections = conn.execute(
            sa.select(quarantine_correction)
            .where(k.source == row["source"], k.entity == row["entity"], k.external_id == row["external_id"])
            .order_by(k.id)
        )
        mine: list[dict[str, Any]] = []
        earlier: list[dict[str, Any]] = []
        for c in corrections:
            entry = to_jsonable(dict(c._mapping))
            (mine if c.content_hash == row["content_hash"] else earlier).append(entry)
        orders = _related_orders(conn, row)
    data = _row(row)
    data["related_orders"] = orders
    data["raw_status"] = current.status if current else None
    data["newer_version"] = current is not None and current.content_hash != row["content_hash"]
    data["successor"] = successor
    data["history"] = history
    data["business_key"] = business_key(row["entity"], row["mapped"])
    data["corrections"] = mine
    data["earlier_corrections"] = [c for c in earlier if c["status"] == "superseded"]
    """Corrections of older versions the platform's newer version superseded: the steward checks
    whether this version needs them too."""
    return data


def _related_orders(conn: Connection, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The orders a quarantined document names (a shipment's, an invoice's): whether each is in the
    store, and its open quarantine row of the same source when it is quarantined itself."""
    if row["entity"] == "order":
        return []
    numbers = sorted({str(d["order_number"]) for d in row["mapped"] or [] if d.get("order_number")})
    found = []
    for number in numbers[:10]:
        loaded = conn.execute(
            sa.select(sales_order.c.order_number).where(sales_order.c.order_number == number).limit(1)
        ).first()
        found.append({"number": number, "loaded": loaded is not None})
    return found


def _row(row: dict[str, Any]) -> dict[str, Any]:
    data = to_jsonable(row)
    data["rules"] = [r for r in data["rules"].split(",") if r]
    return data


def fetch_row(conn: Connection, qid: int, lock: bool = False) -> dict[str, Any]:
    if isinstance(qid, bool) or not isinstance(qid, int):
        raise StewardError(f"a quarantine id is a whole number, not {qid!r}")
    query = sa.select(quarantine).where(quarantine.c.id == qid)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise StewardError(f"no quarantined record with id {qid}")
    return dict(row._mapping)


# ---- transitions ------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """An open quarantine row with its stored raw version, re-mapped and re-validated."""

    row: dict[str, Any]
    landed: LandedRaw
    payload: dict[str, Any]
    records: list[Any]
    failures: list[Any]


def replay(
    store: Store,
    *,
    ids: Iterable[int] | None = None,
    rule: str | None = None,
    source: str | None = None,
    actor: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Re-map and re-validate the stored raw payloads of open records with the current mappings and
    suites; load what passes, leave the rest open with its new reasons.

    Selects open records by `ids` and/or `rule` and/or `source` (none: every open record). Named
    ids that are unknown or not open are refused before anything happens. One run per source and
    entity is recorded in `sync_run` (pulled = loaded + quarantined). `on_progress(done, total)`
    is called after each committed chunk.
    """
    actor = check_actor(actor)
    id_list = sorted(set(ids or ()))
    with store.connect() as conn:
        rows = _select_open(conn, id_list, rule, source)
    result = ReplayResult()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["source"], row["entity"]), []).append(row)
    mappings = {key: mapping_for(group[0]) for key, group in groups.items()}  # refuse before any change
    total, done = len(rows), 0
    for (src, entity), group in sorted(groups.items()):
        with store.run_lock(src, entity, REPLAY_WAIT_SECONDS):  # never alongside a sync of the same entity
            run_id: int | None = None
            try:
                for part in chunks(group, REPLAY_CHUNK):
                    with store.transaction() as conn:
                        prepared, stale = _prepare(conn, mappings[(src, entity)], list(part))
                        if run_id is None and prepared:
                            run_id = open_run(conn, src, entity)
                            result.run_ids.append(run_id)
                        _replay_chunk(conn, src, entity, prepared, stale, run_id, actor, result)
                    done += len(part)
                    if on_progress:
                        on_progress(done, total)
            except BaseException as exc:
                if run_id is not None:
                    store.finish_run(run_id, error=f"replay: {type(exc).__name__}: {exc}")
                raise
            if run_id is not None:
                store.finish_run(run_id)
    if result.replayed:
        from pipeline import settings
        from quality_checks.data_docs import refresh_data_docs

        refresh_data_docs(settings.data_docs_dir())
    return result


def _select_open(conn: Connection, ids: list[int], rule: str | None, source: str | None) -> list[dict[str, Any]]:
    q = quarantine.c
    where: list[sa.ColumnElement[bool]] = [q.status == "open"]
    if ids:
        found = {
            r.id: r.status
            for part in chunks(ids)
            for r in conn.execute(sa.select(q.id, q.status).where(q.id.in_(list(part))))
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise StewardError(f"no quarantined record with id {', '.join(map(str, missing))}")
        closed = [f"{i} is {s}" for i, s in found.items() if s != "open"]
        if closed:
            raise StewardError(f"only open records can be replayed: {'; '.join(closed)}")
        where.append(q.id.in_(ids))
    if rule:
        where.append(_has_rule(rule))
    if source:
        where.append(q.source == source)
    query = sa.select(quarantine).where(*where).order_by(q.source, q.entity, q.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def _successor(conn: Connection, row: dict[str, Any]) -> int | None:
    """The quarantine row of the record's current version, if that version is quarantined."""
    c, q = raw_current.c, quarantine.c
    query = sa.select(q.id).join(
        raw_current,
        sa.and_(
            c.source == q.source,
            c.entity == q.entity,
            c.external_id == q.external_id,
            c.content_hash == q.content_hash,
        ),
    )
    where = (q.source == row["source"], q.entity == row["entity"], q.external_id == row["external_id"])
    return conn.execute(query.where(*where, q.id != row["id"])).scalar()


def _has_rule(rule: str) -> sa.ColumnElement[bool]:
    """`rule` is one of the row's comma-separated rules."""
    return ("," + quarantine.c.rules + ",").contains(f",{rule},", autoescape=True)


def landed_version(conn: Connection, row: dict[str, Any], action: str) -> LandedRaw:
    """The stored raw version a quarantined row was made from; refused when a newer one has arrived."""
    raw = raw_versions(conn, row["source"], row["entity"], [row]).get(row["external_id"])
    if raw is None or raw[0].content_hash != row["content_hash"]:
        raise StewardError(f"record {row['id']} has a newer version; {action} that one instead")
    return raw[0]


def mapping_for(row: dict[str, Any]) -> Mapping:
    """The current mapping of a quarantined record's platform kind (recorded, else the only candidate),
    read with the time zone and field map its source used (kept on the row)."""
    from mappings import MappingOptions, available_mappings, get_mapping

    kind = row.get("kind")
    if not kind:
        kinds = sorted({k for k, e in available_mappings() if e == row["entity"]})
        if len(kinds) != 1:
            raise StewardError(
                f"record {row['id']} ({row['source']}/{row['entity']}) has no platform kind recorded and "
                f"{len(kinds)} mappings exist for {row['entity']}: {kinds}"
            )
        kind = kinds[0]
    try:
        return get_mapping(kind, row["entity"], MappingOptions.from_dict(row.get("mapping_options")))
    except (LookupError, ValueError, OSError) as exc:
        raise StewardError(f"the mapping for {kind}/{row['entity']} cannot be used: {exc}") from exc


def _prepare(
    conn: Connection, mapping: Mapping, rows: list[dict[str, Any]]
) -> tuple[list[_Prepared], list[dict[str, Any]]]:
    """Lock the rows, split off stale ones (a newer version exists), re-check the rest."""
    from pipeline.checks import check_payloads

    q = quarantine.c
    ids = [r["id"] for r in rows]
    locked = conn.execute(sa.select(q.id, q.status).where(q.id.in_(ids)).with_for_update())
    changed = [f"{r.id} is now {r.status}" for r in locked if r.status != "open"]
    if changed:
        raise StewardError(f"records changed while replaying, nothing was done: {'; '.join(changed)}")
    source, entity = rows[0]["source"], rows[0]["entity"]
    raws = raw_versions(conn, source, entity, rows)
    fresh, stale = [], []
    for row in rows:
        raw = raws.get(row["external_id"])
        if raw is None or raw[0].content_hash != row["content_hash"]:
            stale.append(row)
        else:
            fresh.append((row, raw[0]))
    payloads = [json.loads(landed.payload_json) for _, landed in fresh]
    timed = [(payload, landed.updated_at) for payload, (_, landed) in zip(payloads, fresh, strict=True)]
    checked = check_payloads(mapping, source, entity, timed, device_items(conn))
    prepared = [
        _Prepared(row, landed, payload, result.records, result.failures)
        for (row, landed), payload, result in zip(fresh, payloads, checked, strict=True)
    ]
    return prepared, stale


def raw_versions(
    conn: Connection, source: str, entity: str, rows: list[dict[str, Any]]
) -> dict[str, tuple[LandedRaw, str]]:
    """external id -> (its current raw version as landed, raw_current status)."""
    c, v = raw_current.c, raw_version.c
    query = (
        sa.select(c.external_id, c.content_hash, c.source_updated_at, c.status, c.pulled_key, v.payload)
        .join(
            raw_version,
            sa.and_(
                v.source == c.source,
                v.entity == c.entity,
                v.external_id == c.external_id,
                v.content_hash == c.content_hash,
            ),
        )
        .where(c.source == source, c.entity == entity, in_list(conn, c.external_id, [r["external_id"] for r in rows]))
    )
    return {
        r.external_id: (
            LandedRaw(r.external_id, r.content_hash, r.source_updated_at, r.payload, r.pulled_key),
            r.status,
        )
        for r in conn.execute(query)
    }


def open_run(conn: Connection, source: str, entity: str) -> int:
    """A run for steward loads, opened holding the run lock of its source and entity."""
    return conn.execute(
        sync_run.insert()
        .values(
            source=source,
            entity=entity,
            started_at=datetime.now(UTC),
            status="running",
            pulled=0,
            unchanged=0,
            loaded=0,
            quarantined=0,
        )
        .returning(sync_run.c.run_id)
    ).scalar_one()


def _replay_chunk(
    conn: Connection,
    source: str,
    entity: str,
    prepared: list[_Prepared],
    stale: list[dict[str, Any]],
    run_id: int | None,
    actor: str,
    result: ReplayResult,
) -> None:
    from pipeline.checks import to_quarantine

    now = datetime.now(UTC)
    for row in stale:
        after = _successor(conn, row)
        conn.execute(quarantine.update().where(quarantine.c.id == row["id"]).values(superseded_by=after))
        reason = "a newer version of the record exists"
        transition(conn, row, "supersede", "superseded", actor, now, reason, details={"superseded_by": after})
        result.superseded_ids.append(row["id"])
    if not prepared:
        return
    assert run_id is not None
    batch = LoadBatch(run_id=run_id, source=source, entity=entity, pulled=len(prepared), unchanged=0)
    batch.kind = prepared[0].row.get("kind")
    batch.mapping_options = prepared[0].row.get("mapping_options")
    batch.landed = [p.landed for p in prepared]
    for p in prepared:
        if p.failures:
            batch.quarantined.append(
                to_quarantine(p.row["external_id"], p.row["content_hash"], p.payload, p.records, p.failures)
            )
        else:
            batch.loaded += 1
            batch.records.extend(p.records)
            batch.record_raw_ids.extend(p.row["external_id"] for _ in p.records)
    write_batch(conn, batch)
    for p in prepared:
        rules = sorted({f.rule for f in p.failures})
        details = {"rules_before": p.row["rules"].split(","), "rules_after": rules}
        to_status = "open" if p.failures else "replayed"
        transition(conn, p.row, "replay", to_status, actor, now, run_id=run_id, details=details)
        (result.still_failing_ids if p.failures else result.loaded_ids).append(p.row["id"])
    result.replayed += len(prepared)
    result.loaded = len(result.loaded_ids)
    result.still_failing = len(result.still_failing_ids)


def accept(store: Store, qid: int, *, reason: str, actor: str) -> dict[str, Any]:
    """Load an open record despite the rules it broke, on a steward's justification.

    The record is re-mapped with the current mapping and loaded without validation; it shows as
    `accepted` on its quarantine row (with who, when and why) and in `raw_current.status`.
    Refused when the record cannot be mapped (fix the mapping and replay, or reject it), is not
    open, or a newer version of it exists.
    """
    reason, actor = validate_reason(reason), check_actor(actor)
    with store.connect() as conn:
        row = fetch_row(conn, qid)
    require_open(row, "accepted")
    mapping = mapping_for(row)
    run_id = None
    with store.transaction() as conn:
        row = fetch_row(conn, qid, lock=True)
        require_open(row, "accepted")
        landed = landed_version(conn, row, "review")
        mapped = mapping.map(json.loads(landed.payload_json), row["source"], landed.updated_at)
        if mapped.failures:
            problems = "; ".join(f"{f.field or '(record)'}: {f.message}" for f in mapped.failures)
            raise StewardError(
                f"record {qid} cannot be mapped, so there is nothing to load ({problems}); "
                "fix the mapping and replay it, or reject it"
            )
        run_id = open_run(conn, row["source"], row["entity"])
        batch = LoadBatch(run_id=run_id, source=row["source"], entity=row["entity"], pulled=1, unchanged=0)
        batch.kind, batch.landed, batch.loaded = row.get("kind"), [landed], 1
        batch.mapping_options = row.get("mapping_options")
        batch.records = list(mapped.records)
        batch.record_raw_ids = [row["external_id"]] * len(mapped.records)
        write_batch(conn, batch)
        set_raw_status(conn, row, "accepted")
        details = {"overridden_rules": row["rules"].split(",")}
        transition(conn, row, "accept", "accepted", actor, datetime.now(UTC), reason, run_id, details)
    store.finish_run(run_id)
    return get_quarantine(store, qid)


def reject(store: Store, qid: int, *, reason: str, actor: str) -> dict[str, Any]:
    """Close an open record for good with a reason: it never loads (a newer version still may)."""
    reason, actor = validate_reason(reason), check_actor(actor)
    with store.transaction() as conn:
        row = fetch_row(conn, qid, lock=True)
        require_open(row, "rejected")
        set_raw_status(conn, row, "rejected")
        transition(conn, row, "reject", "rejected", actor, datetime.now(UTC), reason)
    return get_quarantine(store, qid)


def require_open(row: dict[str, Any], wanted: str) -> None:
    if row["status"] != "open":
        raise StewardError(f"record {row['id']} is {row['status']}; only open records can be {wanted}")


def set_raw_status(conn: Connection, row: dict[str, Any], status: str) -> None:
    """Mark the raw record's current version (only if it is still this one)."""
    c = raw_current.c
    conn.execute(
        raw_current.update()
        .where(
            c.source == row["source"],
            c.entity == row["entity"],
            c.external_id == row["external_id"],
            c.content_hash == row["content_hash"],
        )
        .values(status=status)
    )


def transition(
    conn: Connection,
    row: dict[str, Any],
    action: str,
    to_status: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    run_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Move one quarantine row to `to_status`: the row, its history and the audit log, together."""
    if to_status != "open":
        values: dict[str, Any] = {"status": to_status, "resolved_at": now, "resolved_by": actor}
        values["resolution_reason"] = reason
        conn.execute(quarantine.update().where(quarantine.c.id == row["id"]).values(**values))
    conn.execute(
        quarantine_event.insert().values(
            quarantine_id=row["id"],
            at=now,
            actor=actor,
            action=action,
            from_status=row["status"],
            to_status=to_status,
            reason=reason,
            run_id=run_id,
            details=details,
        )
    )
    audit.append(
        conn,
        actor,
        f"quarantine.{action}",
        row["entity"],
        f"{row['source']}/{row['external_id']}",
        {
            "quarantine_id": row["id"],
            "content_hash": row["content_hash"],
            "from_status": row["status"],
            "to_status": to_status,
            "reason": reason,
            "run_id": run_id,
            **(details or {}),
        },
    )
