"""Recall drills: a mock recall of one lot, timed step by step, recorded so drill times can be listed.

Regulators ask a maker to show it can name every consignee of a lot quickly; a drill does the
whole path on the store as it is, without recording a recall (no `recall` row, no mark on the
lot). What it leaves is one `recall_drill` row and an audit entry, read back by `recent_drills`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import audit
from trace_store.schema import lot as lot_table
from trace_store.schema import recall_drill
from trace_store.store import Store, connection


@dataclass(frozen=True, slots=True)
class DrillStep:
    name: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Drill:
    drill_id: int
    started_at: datetime
    actor: str
    gtin: str
    lot: str
    seed: int | None
    consignees: int
    shipments: int
    seconds_to_consignees: float
    seconds_total: float
    steps: list[DrillStep]
    reports: list[str]


def pick_lot(
    conn_or_store: Store | Connection, seed: int | None = None, lot: str | None = None, gtin: str | None = None
) -> tuple[str, str]:
    """(GTIN, lot) to drill: the `lot` named (its GTIN found when unique), else a random known lot.

    The same `seed` picks the same lot of the same store. LookupError when there is nothing to pick.
    """
    t = lot_table.c
    with connection(conn_or_store) as conn:
        if lot is not None:
            query = sa.select(t.gtin).where(t.lot == lot, *([t.gtin == gtin] if gtin else [])).order_by(t.gtin)
            gtins = list(conn.execute(query.limit(2)).scalars())
            if not gtins:
                raise LookupError(f"no lot {lot!r}{f' of GTIN {gtin}' if gtin else ''} in the store")
            if len(gtins) > 1:
                raise LookupError(f"lot {lot!r} exists for several GTINs ({', '.join(gtins)}, ...): name one (--gtin)")
            return gtins[0], lot
        where = [t.gtin == gtin] if gtin else []
        count = conn.execute(sa.select(sa.func.count()).select_from(lot_table).where(*where)).scalar_one()
        if not count:
            raise LookupError("the store has no lots to drill: sync the ERP first (`tracehub sync`)")
        offset = random.Random(seed).randrange(count)  # a drill picks a lot; nothing secret
        row = conn.execute(sa.select(t.gtin, t.lot).where(*where).order_by(t.gtin, t.lot).offset(offset).limit(1))
        found = row.one()
        return str(found.gtin), str(found.lot)


def record_drill(
    store: Store,
    *,
    started_at: datetime,
    actor: str,
    gtin: str,
    lot: str,
    seed: int | None,
    consignees: int,
    shipments: int,
    seconds_to_consignees: float,
    steps: Sequence[DrillStep],
    reports: Sequence[str],
) -> int:
    """Write the drill's row and its audit entry in one transaction; returns the drill id."""
    row: dict[str, Any] = {
        "started_at": started_at,
        "actor": actor,
        "gtin": gtin,
        "lot": lot,
        "seed": seed,
        "consignees": consignees,
        "shipments": shipments,
        "seconds_to_consignees": round(seconds_to_consignees, 3),
        "seconds_total": round(sum(s.seconds for s in steps), 3),
        "steps": [{"name": s.name, "seconds": round(s.seconds, 3)} for s in steps],
        "reports": list(reports),
    }
    with store.transaction() as conn:
        drill_id = int(conn.execute(recall_drill.insert().values(row).returning(recall_drill.c.drill_id)).scalar_one())
        details = {k: v for k, v in row.items() if k not in ("started_at", "actor")}
        audit.append(conn, actor, "recall.drill", "recall_drill", str(drill_id), details)
    return drill_id


def recent_drills(conn_or_store: Store | Connection, limit: int = 20) -> list[Drill]:
    """The latest drills, newest first (for the KPI page: time to a complete consignee list)."""
    d = recall_drill.c
    with connection(conn_or_store) as conn:
        query = sa.select(recall_drill).order_by(d.started_at.desc(), d.drill_id.desc()).limit(limit)
        return [
            Drill(
                r.drill_id,
                r.started_at,
                r.actor,
                r.gtin,
                r.lot,
                r.seed,
                r.consignees,
                r.shipments,
                r.seconds_to_consignees,
                r.seconds_total,
                [DrillStep(s["name"], s["seconds"]) for s in r.steps],
                list(r.reports),
            )
            for r in conn.execute(query)
        ]
