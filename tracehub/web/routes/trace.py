"""Trace explorer: a GTIN with a lot or a serial, traced forward (who received it, also inside
products made from it) and backward (which input lots went into it, from which suppliers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracehub.web.auth import Viewer, store_of
from tracehub.web.render import render
from tracehub.web.tables import Table, table

router = APIRouter()
MAX_ID = 80


def check_gtin(gtin: str) -> str | None:
    """Why `gtin` is not a GTIN-14 with a valid GS1 check digit, or None when it is."""
    from biip.checksums import gs1_standard_check_digit

    if len(gtin) != 14 or not gtin.isdigit():
        return f"GTIN {gtin!r} must be 14 digits (pad shorter GTINs with leading zeros)."
    if gs1_standard_check_digit(gtin[:-1]) != int(gtin[-1]):
        return f"GTIN {gtin} has a wrong check digit: expected {gs1_standard_check_digit(gtin[:-1])}."
    return None


EDGE_COLUMNS = ("depth", "evidence", "path_confidence", "gtin", "lot", "serial", "qty", "output_gtin", "output_lot",
                "to_party", "to_region", "event_time", "source", "doc_id", "order_number", "supplier")  # fmt: skip


def _genealogy(store: Any, gtin: str, lot: str | None, serial: str | None) -> dict[str, Table]:
    """Forward consignees and edges, backward input lots and edges, as display tables."""
    from traceability import genealogy

    with store.connect() as conn:
        ahead = genealogy.forward(conn, gtin, lot=lot, serial=serial)
        behind = genealogy.backward(conn, gtin, lot=lot, serial=serial)
    consignees = [
        {"consignee": who, "item": item.replace("|", " "), "qty": qty}
        for who, items in ahead.consignees("serial" if serial else "lot").items()
        for item, qty in items.items()
    ]
    return {
        "consignees": table(consignees),
        "forward_edges": _edges(ahead.edges),
        "inputs": table(behind.inputs()),
        "backward_edges": _edges(behind.edges),
    }


def _edges(edges: list[Any]) -> Table:
    return table({c: getattr(e, c) for c in EDGE_COLUMNS} for e in edges)


@router.get("/trace")
def trace(
    request: Request,
    user: Viewer,
    gtin: Annotated[str, Query(max_length=MAX_ID)] = "",
    lot: Annotated[str, Query(max_length=MAX_ID)] = "",
    serial: Annotated[str, Query(max_length=MAX_ID)] = "",
) -> Response:
    gtin, lot, serial = gtin.strip(), lot.strip(), serial.strip()
    form = {"gtin": gtin, "lot": lot, "serial": serial}
    if not (gtin or lot or serial):
        return render(request, "trace.html", form=form, result=None)
    problem = check_gtin(gtin)
    if problem is None and bool(lot) == bool(serial):
        problem = "Give either a lot or a serial number with the GTIN, not both and not neither."
    if problem:
        return render(request, "trace.html", 400, form=form, result=None, error=problem)
    result = _genealogy(store_of(request), gtin, lot or None, serial or None)
    return render(request, "trace.html", form=form, result=result, empty=_empty(result))


def _empty(result: dict[str, Table]) -> bool:
    return not any(t.rows for t in result.values())
