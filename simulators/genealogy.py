"""Genealogy of the world: what each finished lot was made from, and the moves the ERP left vague.

Real ERPs do not always record which component lot a production consumed. About 15% of the
productions (at least 2 per world) get one consumed move whose move line has no lot
(`lot_id` false, `lot_ids` empty); the ground truth keeps the lot that was really used and lists
the candidates a trace must link instead (every lot of that component). One other production
consumed two lots of one component in unequal quantities: one move with two move lines, each
holding its lot's own quantity (Odoo keeps per-lot quantities on `stock.move.line`). Picks use
their own seeded stream, so the rest of the world is the same as without them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

UNRECORDED_SHARE = 0.15
SECOND_LOT_SHARE = 0.3
"""Part of the split move's quantity taken from its second lot."""


def plant_vague_moves(
    seed: int, odoo: dict[str, list[dict]], suppliers: dict[int, str], next_id: Any
) -> dict[str, list[dict[str, Any]]]:
    """Clear the lot of one move of some productions, split one move over two lots; return the truth.

    Truth: "GTIN|LOT" of each finished lot -> its inputs, each `{"gtin", "lot", "qty",
    "supplier", "recorded"}`; an input the ERP does not record (`recorded` false) also has
    `candidates`: `[{"lot", "supplier"}]`, every lot of that component. `suppliers` names the
    supplier of every component lot (world knowledge, whether or not the ERP holds it).
    """
    rng = random.Random(f"unrecorded-lots:{seed}")
    productions = odoo["mrp.production"]
    count = min(len(productions), max(2, round(UNRECORDED_SHARE * len(productions))))
    moves = {m["id"]: m for m in odoo["stock.move"]}
    lines = {line["id"]: line for line in odoo["stock.move.line"]}
    cleared = {rng.choice(p["move_raw_ids"]) for p in rng.sample(productions, count)}
    _split_one(rng, odoo, moves, lines, cleared, next_id)
    truth = _truth(odoo, moves, lines, cleared, suppliers)
    for move_id in cleared:
        moves[move_id]["lot_ids"] = []
        for line_id in moves[move_id]["move_line_ids"]:
            lines[line_id]["lot_id"] = False
    return truth


def _split_one(
    rng: random.Random,
    odoo: dict[str, list[dict]],
    moves: dict[int, dict],
    lines: dict[int, dict],
    cleared: set[int],
    next_id: Any,
) -> None:
    """Move part of one recorded move's quantity onto a second lot of the same component."""
    lots_of: dict[int, list[dict]] = defaultdict(list)
    for lot in odoo["stock.lot"]:
        lots_of[lot["product_id"][0]].append(lot)
    candidates = [m for m in odoo["stock.move"] if m["id"] not in cleared and len(lots_of[m["product_id"][0]]) >= 2]
    move = rng.choice(candidates)
    first = lines[move["move_line_ids"][0]]
    other = rng.choice([lot for lot in lots_of[move["product_id"][0]] if lot["id"] != first["lot_id"][0]])
    second_qty = round(first["quantity"] * SECOND_LOT_SHARE, 2)
    first["quantity"] = round(first["quantity"] - second_qty, 2)
    second = {**first, "id": next(next_id), "lot_id": [other["id"], other["name"]], "quantity": second_qty}
    odoo["stock.move.line"].append(second)
    lines[second["id"]] = second
    move["move_line_ids"] = [first["id"], second["id"]]
    move["lot_ids"] = sorted({first["lot_id"][0], other["id"]})


def _truth(
    odoo: dict[str, list[dict]],
    moves: dict[int, dict],
    lines: dict[int, dict],
    cleared: set[int],
    suppliers: dict[int, str],
) -> dict[str, list[dict[str, Any]]]:
    barcode = {p["id"]: p["barcode"] for p in odoo["product.product"]}
    lots = {lot["id"]: lot for lot in odoo["stock.lot"]}
    lots_of: dict[int, list[dict]] = defaultdict(list)
    for lot in odoo["stock.lot"]:
        lots_of[lot["product_id"][0]].append(lot)
    truth: dict[str, list[dict[str, Any]]] = {}
    for production in odoo["mrp.production"]:
        made = lots[production["lot_producing_id"][0]]
        inputs = []
        for move_id in production["move_raw_ids"]:
            move = moves[move_id]
            product = move["product_id"][0]
            for line_id in move["move_line_ids"]:
                line = lines[line_id]
                lot = lots[line["lot_id"][0]]
                entry: dict[str, Any] = {
                    "gtin": barcode[product],
                    "lot": lot["name"],
                    "qty": line["quantity"],
                    "supplier": suppliers[lot["id"]],
                    "recorded": move_id not in cleared,
                }
                if move_id in cleared:
                    entry["candidates"] = [
                        {"lot": c["name"], "supplier": suppliers[c["id"]]}
                        for c in sorted(lots_of[product], key=lambda c: c["name"])
                    ]
                inputs.append(entry)
        truth[f"{barcode[production['product_id'][0]]}|{made['name']}"] = inputs
    return truth


def expected(world: Any, deliveries: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """What genealogy traces of the store must answer, given the deliveries it must show.

    `backward`: finished "GTIN|LOT" -> `[{"gtin", "lot", "evidence", "qty", "supplier"}]`: each
    recorded input as `produced_from`, each candidate of an unrecorded one as `inferred` (with
    the input's whole quantity). Lots the defect plan quarantines are no candidates: the store
    never holds them. `forward`: component "GTIN|LOT" -> `{"finished": {"GTIN|LOT": evidence},
    "customers": {customer: {finished "GTIN|LOT": qty}}}`.
    """
    quarantined = {int(d["external_id"]) for d in world.defect_plan if d["platform"] == "odoo" and d["entity"] == "lot"}
    barcode = {p["id"]: p["barcode"] for p in world.odoo["product.product"]}
    missing = {
        (barcode[lot["product_id"][0]], lot["name"]) for lot in world.odoo["stock.lot"] if lot["id"] in quarantined
    }
    backward: dict[str, list[dict[str, Any]]] = {}
    forward: dict[str, dict[str, Any]] = {}
    for finished, inputs in world.ground_truth["genealogy"].items():
        edges = backward.setdefault(finished, [])
        for entry in inputs:
            if entry["recorded"]:
                picks = [(entry["lot"], entry["supplier"], "produced_from")]
            else:
                picks = [(c["lot"], c["supplier"], "inferred") for c in entry["candidates"]]
            for lot, supplier, evidence in picks:
                if (entry["gtin"], lot) in missing:
                    continue
                known = supplier if world.studio else None  # a standard ERP does not say who made a lot
                edges.append(
                    {"gtin": entry["gtin"], "lot": lot, "evidence": evidence, "qty": entry["qty"], "supplier": known}
                )
                node = forward.setdefault(f"{entry['gtin']}|{lot}", {"finished": {}, "customers": {}})
                if node["finished"].get(finished) != "produced_from":
                    node["finished"][finished] = evidence
    for node in forward.values():
        for finished in node["finished"]:
            for d in deliveries.get(finished, []):
                per = node["customers"].setdefault(d["customer"], {})
                per[finished] = per.get(finished, 0) + d["qty"]
    return {"backward": backward, "forward": forward}
