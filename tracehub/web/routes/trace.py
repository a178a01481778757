"""Trace explorer: a GTIN with a lot or a serial, traced forward (who received it, also inside
products made from it) and backward (which input lots went into it, from which suppliers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracehub.web import i18n
from tracehub.web.auth import Viewer, store_of
from tracehub.web.render import render
from tracehub.web.tables import Column, Table, table

router = APIRouter()
MAX_ID = 80


def check_gtin(request: Request, gtin: str) -> str | None:
    """Why `gtin` is not a GTIN-14 with a valid GS1 check digit, or None when it is."""
    from biip.checksums import gs1_standard_check_digit

    if len(gtin) != 14 or not gtin.isdigit():
        return i18n.gettext(request, "GTIN %(gtin)s must be 14 digits (pad shorter GTINs with leading zeros).") % {
            "gtin": repr(gtin)
        }
    if gs1_standard_check_digit(gtin[:-1]) != int(gtin[-1]):
        return i18n.gettext(request, "GTIN %(gtin)s has a wrong check digit: expected %(digit)s.") % {
            "gtin": gtin,
            "digit": gs1_standard_check_digit(gtin[:-1]),
        }
    return None


def _columns(request: Request) -> dict[str, list[Column]]:
    """The trace tables' columns in the reader's language: what, where and when in the row, the rest in details."""
    r = request
    edges = [
        Column("gtin", i18n.gettext(r, "Device"), kind="gtin"),
        Column("lot", i18n.gettext(r, "Lot")),
        Column("serial", i18n.gettext(r, "Serial")),
        Column("qty", i18n.gettext(r, "Quantity")),
        Column("to_party", i18n.gettext(r, "Consignee")),
        Column("event_time", i18n.gettext(r, "Time"), kind="time"),
        Column("depth", i18n.gettext(r, "Depth"), key=False),
        Column("evidence", i18n.gettext(r, "Evidence"), key=False),
        Column("path_confidence", i18n.gettext(r, "Path confidence"), key=False),
        Column("output_gtin", i18n.gettext(r, "Made into (GTIN)"), key=False, kind="gtin"),
        Column("output_lot", i18n.gettext(r, "Made into (lot)"), key=False),
        Column("to_region", i18n.gettext(r, "Region"), key=False),
        Column("source", i18n.gettext(r, "Source"), key=False),
        Column("doc_id", i18n.gettext(r, "Document"), key=False),
        Column("order_number", i18n.gettext(r, "Order number"), key=False),
        Column("supplier", i18n.gettext(r, "Supplier"), key=False),
    ]
    return {
        "consignees": [
            Column("consignee", i18n.gettext(r, "Consignee")),
            Column("gtin", i18n.gettext(r, "Device"), kind="gtin"),
            Column("item", i18n.gettext(r, "Lot or serial")),
            Column("qty", i18n.gettext(r, "Quantity")),
        ],
        "inputs": [
            Column("gtin", i18n.gettext(r, "Device"), kind="gtin"),
            Column("lot", i18n.gettext(r, "Lot")),
            Column("qty", i18n.gettext(r, "Quantity")),
            Column("supplier", i18n.gettext(r, "Supplier")),
            Column("evidence", i18n.gettext(r, "Evidence"), key=False),
            Column("path_confidence", i18n.gettext(r, "Path confidence"), key=False),
            Column("output_gtin", i18n.gettext(r, "Made into (GTIN)"), key=False, kind="gtin"),
            Column("output_lot", i18n.gettext(r, "Made into (lot)"), key=False),
            Column("depth", i18n.gettext(r, "Depth"), key=False),
            Column("documents", i18n.gettext(r, "Documents"), key=False),
        ],
        "edges": edges,
    }


def _genealogy(request: Request, gtin: str, lot: str | None, serial: str | None) -> dict[str, Table]:
    """Forward consignees and edges, backward input lots and edges, as display tables."""
    from traceability import genealogy

    with store_of(request).connect() as conn:
        ahead = genealogy.forward(conn, gtin, lot=lot, serial=serial)
        behind = genealogy.backward(conn, gtin, lot=lot, serial=serial)
    columns = _columns(request)
    consignees = [
        {"consignee": who, "gtin": item.partition("|")[0], "item": item.partition("|")[2], "qty": qty}
        for who, items in ahead.consignees("serial" if serial else "lot").items()
        for item, qty in items.items()
    ]
    return {
        "consignees": table(consignees, columns["consignees"]),
        "forward_edges": table(ahead.edges, columns["edges"]),
        "inputs": table(behind.inputs(), columns["inputs"]),
        "backward_edges": table(behind.edges, columns["edges"]),
    }


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
    problem = check_gtin(request, gtin)
    if problem is None and bool(lot) == bool(serial):
        problem = i18n.gettext(request, "Give either a lot or a serial number with the GTIN, not both and not neither.")
    if problem:
        return render(request, "trace.html", 400, form=form, result=None, error=problem)
    from trace_store import queries

    result = _genealogy(request, gtin, lot or None, serial or None)
    names = queries.device_names(store_of(request), {gtin}.union(*(t.gtins() for t in result.values())))
    return render(request, "trace.html", form=form, result=result, empty=_empty(result), names=names)


def _empty(result: dict[str, Table]) -> bool:
    return not any(t.rows for t in result.values())
