"""The push ledger's writes: intent before the call, the result after it, each result audited.

Intent and result are separate transactions on purpose: a crash between them leaves the row
`pending`, which tells the next run to read the shop back before sending anything again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data_dictionary.jsonable import to_jsonable
from trace_store import audit
from trace_store.schema import push_ledger
from trace_store.store import Store
from write_back.plan import Push

AUDIT_ENTITY = "fulfilment"


def record_intent(store: Store, push: Push) -> None:
    """Mark the push `pending` (attempts + 1) before the call is made."""
    shipped = push.shipped
    p = push_ledger.c
    now = datetime.now(UTC)
    where = [getattr(p, name) == value for name, value in shipped.key.items()]
    with store.transaction() as conn:
        updated = conn.execute(
            push_ledger.update()
            .where(*where)
            .values(state="pending", action=push.action, attempts=p.attempts + 1, intent_at=now, error=None)
        ).rowcount
        if not updated:
            conn.execute(
                push_ledger.insert().values(
                    **shipped.key,
                    order_ref=shipped.order_ref,
                    action=push.action,
                    state="pending",
                    carrier=shipped.carrier,
                    lots=to_jsonable(shipped.lots()),
                    remote_id=push.replaces[0] if push.replaces else None,
                    attempts=1,
                    intent_at=now,
                )
            )


def record_result(
    store: Store, push: Push, actor: str, *, remote_id: str | None, error: str | None, recovered: bool = False
) -> None:
    """`pushed` with the shop's id of the fulfilment, or `failed` with the shop's one-line refusal; audited."""
    shipped = push.shipped
    p = push_ledger.c
    state = "failed" if error else "pushed"
    details: dict[str, Any] = {
        "action": push.action,
        "order_ref": shipped.order_ref,
        "tracking_no": shipped.tracking_no,
        "carrier": shipped.carrier,
        "lots": shipped.lots(),
        "remote_id": remote_id,
    }
    if push.replaces:
        details["replaced_tracking_no"] = push.replaces[1]
    if recovered:
        details["recovered"] = "the shop already had it: an earlier run pushed it and stopped before recording"
    if error:
        details["error"] = error
    with store.transaction() as conn:
        conn.execute(
            push_ledger.update()
            .where(*[getattr(p, name) == value for name, value in shipped.key.items()])
            .values(state=state, remote_id=remote_id, error=error, done_at=datetime.now(UTC))
        )
        audit.append(conn, actor, f"writeback.{state}", AUDIT_ENTITY, shipped.key_text, details)


def ledger_rows(store: Store, destination: str) -> list[dict[str, Any]]:
    """Every ledger row of `destination`, oldest intent first."""
    p = push_ledger.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(push_ledger).where(p.destination == destination).order_by(p.intent_at))
        return [dict(r._mapping) for r in rows]
