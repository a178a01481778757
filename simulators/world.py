"""The generated world: every platform record as served, the ground truth and the defect plan.

`generate_world(seed, scale)` is a pure function of its arguments (one seeded RNG, no clock),
so a test, the demo and a bug report all talk about the same records.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from simulators.defects import defects_per_kind, plant_defects, reserve_lots
from simulators.formats import iso_z, odoo_datetime, shopify_time
from simulators.genealogy import expected as genealogy_expected
from simulators.genealogy import plant_vague_moves
from simulators.master_data import STUDIO_FIELDS, generate_master_data
from simulators.sales import generate_sales, shop_catalog
from simulators.stock import SNAPSHOT, generate_stock

ODOO_MODELS = (
    "product.product",
    "res.partner",
    "stock.lot",
    "mrp.production",
    "stock.move",
    "stock.move.line",
    "account.move",
    "account.move.line",
    "stock.scrap",
)
"""Odoo models the world holds. Odoo ids are unique across models, so an id names one record."""


@dataclass
class World:
    """Plain records per platform, exactly as the simulators serve them.

    `studio` says whether the customer's Odoo has the Studio fields of `odoo_custom_fields`
    (Chinese name, registration number, QC status, ...); without them it is a standard install.
    """

    seed: int
    scale: float
    shopify_orders: list[dict[str, Any]] = field(default_factory=list)
    shipbob_orders: list[dict[str, Any]] = field(default_factory=list)
    odoo: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ground_truth: dict[str, dict[str, Any]] = field(default_factory=dict)
    defect_plan: list[dict[str, Any]] = field(default_factory=list)
    shipbob_inventory: list[dict[str, Any]] = field(default_factory=list)
    shipbob_returns: list[dict[str, Any]] = field(default_factory=list)
    studio: bool = True
    shopify_products: list[dict[str, Any]] = field(default_factory=list)

    @property
    def odoo_custom_fields(self) -> dict[str, tuple[str, ...]]:
        """The custom fields this Odoo database has, per model (none on a standard install)."""
        return dict(STUDIO_FIELDS) if self.studio else {}

    def shipbob_order_of(self, shipment_id: str | int) -> dict[str, Any]:
        """The ShipBob order a shipment belongs to."""
        wanted = int(shipment_id)
        for order in self.shipbob_orders:
            if any(s["id"] == wanted for s in order["shipments"]):
                return order
        raise KeyError(f"no ShipBob shipment {shipment_id}")

    def write(self, folder: str | Path) -> None:
        """Write world.json, ground_truth.json and defect_plan.json into `folder`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        records = {
            "seed": self.seed,
            "scale": self.scale,
            "studio": self.studio,
            "shopify": {"orders": self.shopify_orders, "products": self.shopify_products},
            "shipbob": {
                "orders": self.shipbob_orders,
                "inventory": self.shipbob_inventory,
                "returns": self.shipbob_returns,
            },
            "odoo": self.odoo,
        }
        for name, content in (
            ("world", records),
            ("ground_truth", self.ground_truth),
            ("defect_plan", self.defect_plan),
        ):
            (folder / f"{name}.json").write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, folder: str | Path) -> World:
        """Read back what `write` wrote."""
        folder = Path(folder)

        def load(name: str) -> Any:
            return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))

        records = load("world")
        return cls(
            records["seed"],
            records["scale"],
            records["shopify"]["orders"],
            records["shipbob"]["orders"],
            records["odoo"],
            load("ground_truth"),
            load("defect_plan"),
            records["shipbob"].get("inventory", []),
            records["shipbob"].get("returns", []),
            records.get("studio", True),
            records["shopify"].get("products", []),
        )

    def to_json(self) -> str:
        """The whole world as one canonical JSON string (for comparing worlds)."""
        return json.dumps(
            {
                "seed": self.seed,
                "scale": self.scale,
                "shopify_orders": self.shopify_orders,
                "shipbob_orders": self.shipbob_orders,
                "odoo": self.odoo,
                "ground_truth": self.ground_truth,
                "defect_plan": self.defect_plan,
                "shipbob_inventory": self.shipbob_inventory,
                "shipbob_returns": self.shipbob_returns,
                "studio": self.studio,
                "shopify_products": self.shopify_products,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    def record(self, platform: str, external_id: str | int) -> dict[str, Any]:
        """The raw record a platform serves under `external_id` (Odoo: any model)."""
        wanted = int(external_id)
        if platform == "shopify":
            records: Any = itertools.chain(self.shopify_orders, self.shopify_products)
        elif platform == "shipbob":
            shipments = (s for o in self.shipbob_orders for s in o["shipments"])
            records = itertools.chain(self.shipbob_orders, shipments, self.shipbob_returns)
        elif platform == "odoo":
            records = itertools.chain.from_iterable(self.odoo.values())
        else:
            raise ValueError(f"unknown platform {platform!r}; expected shopify, shipbob or odoo")
        for record in records:
            if record["id"] == wanted:
                return record
        raise KeyError(f"no {platform} record with id {external_id}")

    def touch(self, platform: str, external_id: str | int, changes: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Change a record in place and stamp its update time `at`, as the platform would.

        Servers read the world live, so the next request sees the new version. A ShipBob order
        has no update time of its own: its shipments' `last_update_at` move; a return records the
        change in its `status_history`. Odoo records the generator gives no write_date
        (stock.move, account.move.line) only change.
        """
        record = self.record(platform, external_id)
        record.update(changes)
        if platform == "shopify":
            record["updated_at"] = shopify_time(at)
        elif platform == "shipbob" and isinstance(record.get("shipments"), list):
            for shipment in record["shipments"]:
                shipment["last_update_at"] = iso_z(at)
        elif platform == "shipbob" and "status_history" in record:
            record["status_history"].append({"status": record["status"], "timestamp": iso_z(at)})
        elif platform == "shipbob":
            record["last_update_at"] = iso_z(at)
        elif "write_date" in record:
            record["write_date"] = odoo_datetime(at)
        return record


def generate_world(seed: int, scale: float = 1.0, studio: bool = True) -> World:
    """The world for (seed, scale); sizes grow about linearly with `scale`.

    `studio=False` gives a standard Odoo install: no custom fields anywhere.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = random.Random(seed)
    odoo_ids = itertools.count(1)
    master = generate_master_data(rng, scale, odoo_ids, studio)
    reserved = reserve_lots(rng, master, defects_per_kind(scale))
    sales = generate_sales(rng, scale, master, odoo_ids)
    odoo = {**master.odoo, "account.move": sales.invoices, "account.move.line": sales.invoice_lines}
    plan = plant_defects(rng, scale, odoo, sales, reserved, odoo_ids)
    stock = generate_stock(rng, master, sales, odoo, plan, odoo_ids)
    _archive(odoo, sales.ground_truth)
    truth: dict[str, dict[str, Any]] = {
        **sales.ground_truth,
        "returns": stock.returns_truth,
        "mass_balance": stock.mass_balance,
        "genealogy": plant_vague_moves(seed, odoo, master.makers, odoo_ids),
    }
    return World(
        seed,
        scale,
        sales.shopify_orders,
        sales.shipbob_orders,
        {m: odoo[m] for m in ODOO_MODELS},
        truth,
        plan,
        stock.inventory,
        stock.returns,
        studio,
        shop_catalog(master),
    )


def _archive(odoo: dict[str, list[dict[str, Any]]], truth: dict[str, dict[str, list[dict]]]) -> None:
    """Archive one shipped device and one hospital that received goods, as a business does later.

    Archived records still matter to history: their shipments must trace, their contacts show in
    recalls. Odoo hides them from searches unless the client asks with `active_test: False`.
    """
    archived_at = odoo_datetime(SNAPSHOT)
    shipped = sorted({key.split("|", 1)[0] for key in truth["lots"]})
    device = next(p for p in odoo["product.product"] if p["barcode"] == shipped[-1])
    receivers = {d["customer"] for deliveries in truth["lots"].values() for d in deliveries}
    hospital = next(p for p in odoo["res.partner"] if p["is_company"] and p["customer_rank"] and p["name"] in receivers)
    for record in (device, hospital):
        record.update(active=False, write_date=archived_at)


NEEDS_MASTER = frozenset({"missing_lot"})
"""Shipment defects only the device master reveals (is the device lot-tracked?): a shipment that
loads before its device is no quarantine but a finding (`lot_missing`) once the device arrives."""


def quarantined_shipments(world: World, master_first: bool = True) -> set[str]:
    """Shipment ids the defect plan quarantines; with the ERP synced after the warehouse, fewer."""
    return {
        entry["external_id"]
        for entry in world.defect_plan
        if entry["platform"] == "shipbob"
        and entry["expect"] == "quarantine"
        and (master_first or entry["defect"] not in NEEDS_MASTER)
    }


def expected_trace(world: World, master_first: bool = True) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Ground truth minus deliveries of shipments the defect plan quarantines: what the store must answer.

    `master_first`: the ERP's device master synced before the warehouse (see `NEEDS_MASTER`).
    """
    dropped = quarantined_shipments(world, master_first)
    lost = _lots_the_payload_lost(world, quarantined_shipments(world) - dropped)
    expected: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind in ("lots", "serials"):
        expected[kind] = {}
        for key, deliveries in world.ground_truth[kind].items():
            kept = [
                d
                for d in deliveries
                if d["shipment_id"] not in dropped and (d["shipment_id"], key.split("|", 1)[1]) not in lost
            ]
            if kept:
                expected[kind][key] = kept
    return expected


def _lots_the_payload_lost(world: World, loaded: set[str]) -> set[tuple[str, str]]:
    """(shipment id, lot) of deliveries of loaded defective shipments whose payload no longer names the lot."""
    lost: set[tuple[str, str]] = set()
    for order in world.shipbob_orders:
        for shipment in order["shipments"]:
            if str(shipment["id"]) not in loaded:
                continue
            named = {i["lot"] for p in shipment["products"] for i in p["inventory_items"]}
            lost.update(
                (str(shipment["id"]), d_lot)
                for key, deliveries in world.ground_truth["lots"].items()
                for d in deliveries
                if d["shipment_id"] == str(shipment["id"]) and (d_lot := key.split("|", 1)[1]) not in named
            )
    return lost


def expected_mass_balance(world: World) -> dict[str, dict[str, int]]:
    """Ground-truth mass balance per finished lot as the store must show it.

    Units of shipments the defect plan quarantines are not in the store, so there they are
    unaccounted on top of the planted gap.
    """
    kept = expected_trace(world)["lots"]
    expected = {}
    for key, balance in world.ground_truth["mass_balance"].items():
        shipped = sum(d["qty"] for d in kept.get(key, []))
        missing = balance["shipped"] - shipped
        expected[key] = {**balance, "shipped": shipped, "unaccounted": balance["unaccounted"] + missing}
    return expected


def expected_genealogy(world: World, master_first: bool = True) -> dict[str, dict[str, Any]]:
    """Genealogy as the store must answer it: inputs per finished lot, finished lots and customers per component lot.

    See simulators/genealogy.py `expected`; deliveries are `expected_trace`'s.
    """
    return genealogy_expected(world, expected_trace(world, master_first)["lots"])
