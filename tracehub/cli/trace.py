"""Commands that trace lots and serials: forward to consignees, backward to input lots and suppliers.

Every edge shown carries its evidence label (shipped, produced_from, inferred, ...) and the
confidence of the path that reached it, so a recall list says which consignees are certain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, console, err, open_store, print_json, trace_app

if TYPE_CHECKING:
    from traceability.genealogy import TraceEdge, TraceResult


DIRECTIONS = ("forward", "backward", "both")
DirectionOption = Annotated[
    str, typer.Option("--direction", help="forward (to consignees), backward (to inputs and suppliers) or both.")
]
DepthOption = Annotated[int | None, typer.Option("--depth", help="Edges from the start to follow (default: any).")]


@trace_app.command("lot")
def trace_lot(
    gtin: str,
    lot: str,
    direction: DirectionOption = "both",
    depth: DepthOption = None,
    as_json: JsonOption = False,
) -> None:
    """A lot's consignees (and the lots made from it) and the input lots and suppliers it was made from."""
    _trace(gtin, lot, None, direction, depth, as_json)


@trace_app.command("serial")
def trace_serial(
    gtin: str,
    serial: str,
    direction: DirectionOption = "both",
    depth: DepthOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where one serialised unit went, and what its lot (from its shipment line) was made from."""
    _trace(gtin, None, serial, direction, depth, as_json)


def _trace(gtin: str, lot: str | None, serial: str | None, direction: str, depth: int | None, as_json: bool) -> None:
    from traceability import deliveries, genealogy

    if direction not in DIRECTIONS:
        err.print(f"[red]error:[/] --direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
        raise typer.Exit(2)
    if depth is not None and depth < 1:
        err.print(f"[red]error:[/] --depth {depth} must be 1 or more (edges from the start)")
        raise typer.Exit(2)
    results: dict[str, TraceResult] = {}
    with open_store() as store, store.connect() as conn:
        if direction in ("forward", "both"):
            results["forward"] = genealogy.forward(conn, gtin, lot=lot, serial=serial, depth=depth)
            direct = (
                deliveries.trace_lot(conn, gtin, lot)
                if lot is not None
                else deliveries.trace_serial(conn, gtin, serial or "")
            )
        else:
            direct = []
        if direction in ("backward", "both"):
            results["backward"] = genealogy.backward(conn, gtin, lot=lot, serial=serial, depth=depth)
    what = f"GTIN {gtin} lot {lot!r}" if lot is not None else f"GTIN {gtin} serial {serial!r}"
    if as_json:
        out: dict[str, Any] = {"gtin": gtin, "lot": lot, "serial": serial, "direction": direction}
        out["deliveries"] = [asdict(d) for d in direct]
        out.update({name: result.as_dict() for name, result in results.items()})
        print_json(out)
        return
    if not direct and not any(r.edges for r in results.values()):
        err.print(f"no trace of {what} in the store ({direction}): check the GTIN and the lot or serial")
        raise typer.Exit(1)
    if "forward" in results:
        _print_forward(what, results["forward"])
    if "backward" in results:
        _print_backward(what, results["backward"])


def _print_forward(what: str, result: TraceResult) -> None:
    made = [e for e in result.edges if e.shape == "produced"]
    if made:
        console.print(
            report.table(
                f"{what}: went into {len({(e.output_gtin, e.output_lot) for e in made})} lots",
                ["depth", "evidence", "via", "input", "into", "qty", "date", "batch record"],
                (
                    [
                        e.depth,
                        e.evidence,
                        e.path_confidence,
                        _item(e),
                        f"{e.output_gtin} {e.output_lot}",
                        e.qty,
                        _day(e),
                        e.doc_id,
                    ]
                    for e in made
                ),
                ["depth", "qty"],
                keep=["input", "into", "qty", "date", "batch record", "evidence", "via", "depth"],
            )
        )
    moved = [e for e in result.edges if e.shape != "produced"]
    if moved:
        console.print(_consignee_table(what, moved))
    else:
        console.print(f"{what}: no shipments, receipts or returns")


def _consignee_table(what: str, edges: Sequence[TraceEdge]) -> report.FittedTable:
    """One row per shipment (or receipt, return) and lot, serials counted; evidence on every row."""
    rows: dict[tuple[Any, ...], list[Any]] = {}
    for e in edges:
        party = e.to_party if e.shape == "outbound" else e.from_party
        key = (e.depth, e.evidence, e.path_confidence, party, e.to_region, e.gtin, e.lot, e.source, e.doc_id)
        row = rows.setdefault(key, [e, Decimal(0), 0])
        row[1] += e.qty
        row[2] += 1 if e.serial else 0
    units = sum((qty for e, qty, _ in rows.values() if e.shape == "outbound"), Decimal(0))
    customers = len({e.to_party for e, _, _ in rows.values() if e.shape == "outbound"})
    return report.table(
        f"{what}: {report.fmt(units)} units to {customers} customers",
        [
            "depth",
            "evidence",
            "via",
            "customer",
            "region",
            "GTIN",
            "lot",
            "qty",
            "serials",
            "date",
            "shipment",
            "order",
        ],
        (
            [
                e.depth,
                e.evidence,
                e.path_confidence,
                key[3],
                e.to_region,
                e.gtin,
                e.lot or "(unknown)",
                qty,
                serials or None,
                _day(e),
                e.doc_id,
                e.order_number,
            ]
            for key, (e, qty, serials) in rows.items()
        ),
        ["depth", "qty", "serials"],
        wrap=["customer"],
        keep=[
            "customer",
            "lot",
            "qty",
            "date",
            "shipment",
            "evidence",
            "via",
            "order",
            "GTIN",
            "serials",
            "region",
            "depth",
        ],
    )


def _print_backward(what: str, result: TraceResult) -> None:
    inputs = result.inputs()
    if not inputs:
        console.print(f"{what}: no batch record names what it was made from")
        return
    suppliers = {i.supplier for i in inputs if i.supplier}
    console.print(
        report.table(
            f"{what}: made from {len(inputs)} input lots of {len(suppliers)} suppliers",
            ["depth", "evidence", "via", "input GTIN", "input lot", "supplier", "qty", "into", "batch records"],
            (
                [
                    i.depth,
                    i.evidence,
                    i.path_confidence,
                    i.gtin,
                    i.lot or "(unknown)",
                    i.supplier,
                    i.qty,
                    f"{i.output_gtin} {i.output_lot}",
                    ", ".join(i.documents),
                ]
                for i in inputs
            ),
            ["depth", "qty"],
            wrap=["supplier", "batch records"],
            keep=["input lot", "supplier", "qty", "into", "input GTIN", "evidence", "batch records", "depth", "via"],
        )
    )


def _item(e: TraceEdge) -> str:
    return f"{e.gtin} {e.lot or '(unknown)'}"


def _day(e: TraceEdge) -> date | None:
    return e.event_time.date() if e.event_time else None
