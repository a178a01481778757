"""Tamper-evident audit log (architecture rule 7): every entry hashes its content and the previous hash.

An UPDATE or DELETE of any past entry, done behind the application's back, changes a hash that
every later entry depends on; `verify` walks the chain and names the first entry that no longer
fits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import canonical_json, to_jsonable
from trace_store.schema import audit_log

GENESIS = "0" * 64
"""prev_hash of the first entry."""
_CHAIN_LOCK = 0x7472_6175  # pg advisory lock id: one writer at a time extends the chain


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of walking the chain: `broken_seq` is the first entry that fails, if any."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, entity: str, key: str, details: Any
) -> str:
    """sha256 of the previous hash and the canonical JSON of the entry."""
    body = canonical_json(
        [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action, entity, key, details]
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(conn: Connection, actor: str, action: str, entity: str, key: str, details: dict[str, Any]) -> int:
    """Append one entry inside the caller's transaction and return its seq.

    On PostgreSQL a transaction-scoped advisory lock is taken before reading the chain head, so two
    concurrent writers queue instead of both linking to the same head (a fork). SQLite writers are
    already serialised by the database lock; `seq` being the primary key backs both up.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    head = conn.execute(sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    at = datetime.now(UTC)
    clean = to_jsonable(details)
    conn.execute(
        audit_log.insert().values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            key=key,
            details=clean,
            prev_hash=prev,
            hash=entry_hash(prev, seq, at, actor, action, entity, key, clean),
        )
    )
    return seq


def verify(conn: Connection) -> VerifyResult:
    """Walk the whole chain in seq order; stop at the first gap, wrong link or wrong hash."""
    expected_seq, prev, checked = 1, GENESIS, 0
    rows = conn.execution_options(yield_per=1000).execute(sa.select(audit_log).order_by(audit_log.c.seq))
    for r in rows:
        if r.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if r.prev_hash != prev:
            return VerifyResult(False, checked, r.seq, f"entry {r.seq} does not link to entry {r.seq - 1}")
        if r.hash != entry_hash(prev, r.seq, r.at, r.actor, r.action, r.entity, r.key, r.details):
            return VerifyResult(False, checked, r.seq, f"entry {r.seq} was changed after it was written")
        expected_seq, prev, checked = r.seq + 1, r.hash, checked + 1
    return VerifyResult(True, checked)
