"""Reading the hash-chained audit log: filtered listings and the chain check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from data_dictionary.jsonable import to_jsonable
from steward.inputs import StewardError
from trace_store import audit
from trace_store.audit import VerifyResult
from trace_store.schema import audit_log
from trace_store.store import Store


def audit_entries(
    store: Store,
    *,
    entity: str | None = None,
    key: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    hidden: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Audit entries, newest first, filtered by entity, key and actor (exact matches), without `hidden` entities."""
    if not 1 <= limit <= 10_000:
        raise StewardError(f"limit must be between 1 and 10000, not {limit}")
    a = audit_log.c
    where = [col == value for col, value in ((a.entity, entity), (a.key, key), (a.actor, actor)) if value]
    if hidden:
        where.append(a.entity.not_in(hidden))
    query = sa.select(a.seq, a.at, a.actor, a.action, a.entity, a.key, a.details).where(*where)
    with store.connect() as conn:
        rows = conn.execute(query.order_by(a.seq.desc()).limit(limit))
        return [to_jsonable(dict(r._mapping)) for r in rows]


def verify_audit(store: Store) -> VerifyResult:
    """Walk the audit hash chain; `broken_seq` and `reason` name the first entry that was altered."""
    with store.connect() as conn:
        return audit.verify(conn)
