"""Questions asked of the store itself: health stats, runs, exports, the quarantine, test dumps.

Every function takes a Store or an open Connection, so the CLI, the web app and tests can share a
connection or let the function open its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import to_jsonable
from trace_store.rows import ENTITY_TABLES
from trace_store.schema import (
    device,
    metadata,
    quarantine,
    raw_version,
    sync_run,
)
from trace_store.store import Store, connection

PAGE = 1000


def stats(conn_or_store: Store | Connection) -> dict[str, Any]:
    """What is in the store and how the last syncs went.

    `entities`: canonical rows per entity (all entities, zeros included); `sources`: per
    source/entity, canonical rows, raw versions and open quarantine; `runs`: the latest run of
    each source/entity with its counts; `quarantine_by_rule`: open quarantine per rule.
    """
    per: dict[tuple[str, str], dict[str, Any]] = {}

    def slot(source: str, entity: str) -> dict[str, Any]:
        return per.setdefault(
            (source, entity),
            {"source": source, "entity": entity, "rows": 0, "raw_versions": 0, "open_quarantine": 0},
        )

    r, q, s = raw_version.c, quarantine.c, sync_run.c
    latest = sa.select(sa.func.max(s.run_id)).group_by(s.source, s.entity).scalar_subquery()
    with connection(conn_or_store) as conn:
        for entity, tables in ENTITY_TABLES.items():
            t = tables.header
            for row in conn.execute(sa.select(t.c.source, sa.func.count()).group_by(t.c.source)):
                slot(row[0], entity)["rows"] = row[1]
        for row in conn.execute(sa.select(r.source, r.entity, sa.func.count()).group_by(r.source, r.entity)):
            slot(row[0], row[1])["raw_versions"] = row[2]
        open_q = sa.select(q.source, q.entity, sa.func.count()).where(q.status == "open")
        for row in conn.execute(open_q.group_by(q.source, q.entity)):
            slot(row[0], row[1])["open_quarantine"] = row[2]
        runs = conn.execute(sa.select(sync_run).where(s.run_id.in_(latest)).order_by(s.source, s.entity))
        latest_runs = [to_jsonable(dict(run._mapping)) for run in runs]
        by_rule = quarantine_by_rule(conn)
    entities = {name: sum(v["rows"] for (_, e), v in per.items() if e == name) for name in ENTITY_TABLES}
    return {
        "entities": entities,
        "sources": [per[k] for k in sorted(per)],
        "runs": latest_runs,
        "quarantine_by_rule": by_rule,
    }


def runs(conn_or_store: Store | Connection) -> list[dict[str, Any]]:
    """Every sync run with its counts, oldest first."""
    with connection(conn_or_store) as conn:
        rows = conn.execute(sa.select(sync_run).order_by(sync_run.c.run_id))
        return [to_jsonable(dict(r._mapping)) for r in rows]


def export(conn_or_store: Store | Connection, entity: str) -> Iterator[dict[str, Any]]:
    """Canonical rows of `entity` in key order, lines nested, JSON-friendly; pages of 1000 headers."""
    tables = ENTITY_TABLES[entity]
    header, key = tables.header, [tables.header.c[k] for k in tables.key]
    with connection(conn_or_store) as conn:
        last: tuple[Any, ...] | None = None
        while True:
            query = sa.select(header).order_by(*key).limit(PAGE)
            if last is not None:
                query = query.where(sa.tuple_(*key) > sa.tuple_(*(sa.literal(v) for v in last)))
            page = [dict(row._mapping) for row in conn.execute(query)]
            if not page:
                return
            lines_by_key = _lines_of(conn, tables.lines, tables.key, page) if tables.lines is not None else {}
            for row in page:
                k = tuple(row[c] for c in tables.key)
                if tables.lines_field:
                    row[tables.lines_field] = lines_by_key.get(k, [])
                yield to_jsonable(row)
            last = tuple(page[-1][c] for c in tables.key)


def _lines_of(
    conn: Connection, lines: sa.Table, key: tuple[str, ...], headers: list[dict[str, Any]]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    cols = [lines.c[k] for k in key]
    keys = [tuple(h[k] for k in key) for h in headers]
    found: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    query = sa.select(lines).where(sa.tuple_(*cols).in_(keys)).order_by(*cols, lines.c.line_no)
    for row in conn.execute(query):
        line = dict(row._mapping)
        found.setdefault(tuple(line.pop(k) for k in key), []).append(line)
    return found


def quarantine_rows(
    conn_or_store: Store | Connection, status: str = "open", rule: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined records with payload, mapped record and failures; optionally one rule's only."""
    q = quarantine.c
    query = sa.select(quarantine).where(q.status == status).order_by(q.source, q.entity, q.external_id, q.id)
    with connection(conn_or_store) as conn:
        rows = [to_jsonable(dict(r._mapping)) for r in conn.execute(query)]
    return [r for r in rows if rule is None or rule in r["rules"].split(",")]


def quarantine_by_rule(conn_or_store: Store | Connection, status: str = "open") -> dict[str, int]:
    """How many quarantined records broke each rule (a record counts once per rule it broke)."""
    q = quarantine.c
    counts: Counter[str] = Counter()
    query = sa.select(q.rules, sa.func.count()).where(q.status == status).group_by(q.rules)
    with connection(conn_or_store) as conn:
        for rules, n in conn.execute(query):
            for rule in rules.split(","):
                counts[rule] += n
    return dict(sorted(counts.items()))


def device_names(conn_or_store: Store | Connection, gtins: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """GTIN -> its device's `name_en` and `name_zh` (None when not given), for every known GTIN asked."""
    wanted = sorted({g for g in gtins if g})
    d = device.c
    names: dict[str, dict[str, Any]] = {}
    with connection(conn_or_store) as conn:
        for start in range(0, len(wanted), PAGE):
            query = sa.select(d.gtin, d.name_en, d.name_zh).where(d.gtin.in_(wanted[start : start + PAGE]))
            names.update({r.gtin: {"name_en": r.name_en, "name_zh": r.name_zh} for r in conn.execute(query)})
    return names


_DUMP_SKIP = {
    "raw_version": {"id", "landed_at", "run_id"},
    "raw_current": {"pulled_key"},
    "quarantine": {"id", "first_seen_at", "last_seen_at", "run_id"},
}
_DUMP_TABLES = [
    "raw_version",
    "raw_current",
    *(t.header.name for t in ENTITY_TABLES.values()),
    *(t.lines.name for t in ENTITY_TABLES.values() if t.lines is not None),
    "trace_edge",
    "quarantine",
]


def dump(conn_or_store: Store | Connection) -> dict[str, list[dict[str, Any]]]:
    """Every data table, sorted and without run ids, wall-clock times or pull keys, for comparing two stores."""
    out: dict[str, list[dict[str, Any]]] = {}
    with connection(conn_or_store) as conn:
        for name in _DUMP_TABLES:
            table = metadata.tables[name]
            cols = [c for c in table.columns if c.name not in _DUMP_SKIP.get(name, set())]
            rows = [to_jsonable(dict(r._mapping)) for r in conn.execute(sa.select(*cols))]
            out[name] = sorted(rows, key=lambda r: [str(r[c.name]) for c in cols])
    return out
