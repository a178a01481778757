"""The vendors' own published example payloads go through `tracehub map` and load intact.

Provenance of every file is in tests/vendor_examples/<vendor>/PROVENANCE.md:
- ShipBob: the response examples of ShipBob's OpenAPI 2026-01 document (GET /2026-01/order,
  /2026-01/return, /2026-01/inventory-level/lots);
- Shopify: the REST resource tests of Shopify's own SDK, Shopify/shopify-api-js (orders and
  products 2024-04);
- Odoo: the External API page of Odoo's documentation (res.partner search_read and read results).
Each example is mapped by the CLI exactly as a user would run it, then synced through the real
pipeline into a store (SQLite and PostgreSQL) and read back: ids, SKUs, quantities, lots,
serials and expiry dates as the vendor wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from connectors.base import RawRecord
from connectors.config import SourceConfig
from connectors.shipbob import return_records, shipment_records
from pipeline.sync import sync
from trace_store import schema
from trace_store.batch import LandedRaw, pulled_key
from trace_store.store import Store
from tracehub.cli import app

EXAMPLES = Path(__file__).parent / "vendor_examples"
PULLED = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def example(vendor: str, name: str) -> Any:
    return json.loads((EXAMPLES / vendor / name).read_text(encoding="utf-8"))


def tracehub_map(kind: str, entity: str, payloads: Any, tmp_path: Path) -> dict[str, Any]:
    """`tracehub map --kind K --entity E --payload FILE --json`, run in this process."""
    path = tmp_path / f"{kind}_{entity}.json"
    path.write_text(json.dumps(payloads), encoding="utf-8")
    done = CliRunner().invoke(app, ["map", "--kind", kind, "--entity", entity, "--payload", str(path), "--json"])
    assert done.exit_code in (0, 1), done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return json.loads(done.stdout)


class CapturedPayloads:
    """A connector over payloads captured from a platform (here: the vendors' published examples)."""

    def __init__(self, source: str, records: list[RawRecord]) -> None:
        self.source = source
        self.records = records

    def check(self) -> str:
        return f"{len(self.records)} captured records"

    def ordered(self, entity: str) -> bool:
        return True

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        yield self.records


def load(store: Store, kind: str, entity: str, records: list[RawRecord]) -> dict[str, object]:
    config = SourceConfig.model_validate(
        {
            "name": "vendor",
            "kind": kind,
            "base_url": "https://example.invalid",
            "entities": [entity],
            "credentials": {"env": "UNUSED"},
            **({"database": "db", "login": "me"} if kind == "odoo" else {}),
        }
    )
    return sync(config, entity, store, CapturedPayloads("vendor", records)).as_dict()


def rows(store: Store, table: sa.Table) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table))]


def test_shipbob_order_example_maps_and_loads_its_shipment_intact(store: Store, tmp_path: Path) -> None:
    """openapi-2026-01.json#/paths/~12026-01~1order/get/responses/200/content/application~1json/example."""
    orders = example("shipbob", "order_list_200.json")
    mapped = tracehub_map("shipbob", "shipment", orders, tmp_path)
    assert mapped["ok"], mapped
    (record,) = mapped["results"][0]["records"]
    assert (record["shipment_id"], record["order_number"], record["status"]) == ("0", "string", "pending")
    assert (record["ship_to_name"], record["ship_to_contact"]) == ("Wayne Enterprises", "John Doe")
    assert (record["carrier"], record["tracking_no"]) == ("USPS", "860C8CDC8F0B4FC7AB69AC86C20539EC")
    (line,) = record["lines"]
    assert (line["sku"], line["lot"], line["serial"], line["expiry_date"]) == (
        "TShirtBlueM",
        "22222",
        "string",
        "2019-08-24",
    )
    assert Decimal(line["qty"]) == 1  # one serial number: one unit

    summary = load(store, "shipbob", "shipment", [r for order in orders for r in shipment_records(order)])
    assert (summary["pulled"], summary["loaded"], summary["quarantined"]) == (1, 1, 0)
    (header,) = rows(store, schema.shipment)
    assert (header["shipment_id"], header["status"], header["ship_to_name"]) == ("0", "pending", "Wayne Enterprises")
    (stored,) = rows(store, schema.shipment_line)
    assert (stored["sku"], stored["lot"], stored["serial"], stored["expiry_date"]) == (
        "TShirtBlueM",
        "22222",
        "string",
        date(2019, 8, 24),
    )
    assert rows(store, schema.trace_edge) == []  # status "None": the shipment has not left the warehouse


def test_shipbob_inventory_lots_example_loads_its_stock(store: Store, tmp_path: Path) -> None:
    """openapi-2026-01.json#/paths/~12026-01~1inventory-level~1lots/get/responses/200/content/application~1json/example."""
    items = example("shipbob", "inventory_level_lots_200.json")["items"]
    mapped = tracehub_map("shipbob", "inventory", items, tmp_path)
    assert mapped["ok"], mapped
    (level,) = mapped["results"][0]["records"]
    assert (level["item_ref"], level["sku"], level["lot"], level["location"]) == ("0", "string", "string", "string")
    records = [RawRecord(str(item["inventory_id"]), PULLED, item) for item in items]
    assert load(store, "shipbob", "inventory", records)["loaded"] == 1
    (stored,) = rows(store, schema.inventory_level)
    assert (stored["item_ref"], stored["sku"], stored["lot"], stored["on_hand"]) == ("0", "string", "string", 0)


def test_shipbob_return_example_maps_and_its_zero_quantity_is_quarantined(store: Store, tmp_path: Path) -> None:
    """openapi-2026-01.json#/paths/~12026-01~1return/get/responses/200/content/application~1json/example.

    The example's placeholder quantity is 0: a return of nothing is refused by rule, with the rest intact.
    """
    items = example("shipbob", "return_list_200.json")["items"]
    mapped = tracehub_map("shipbob", "return", items, tmp_path)
    (result,) = mapped["results"]
    assert [(f["rule"], f["field"]) for f in result["failures"]] == [("qty_positive", "lines[0].qty")]
    records = [r for item in items for r in return_records(item)]
    assert records[0].updated_at == datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)
    summary = load(store, "shipbob", "return", records)
    assert (summary["pulled"], summary["quarantined"]) == (1, 1)
    fixed = [RawRecord(r.external_id, r.updated_at, _with_quantity(r.payload, 2)) for r in records]
    assert load(store, "shipbob", "return", fixed)["loaded"] == 1
    (line,) = rows(store, schema.return_line)
    assert (line["sku"], line["lot"], line["qty"]) == ("string", "string", 2)


def _with_quantity(payload: dict[str, Any], qty: int) -> dict[str, Any]:
    return {**payload, "inventory": [{**item, "quantity": qty} for item in payload["inventory"]]}


def test_shopify_order_example_maps_and_loads_its_lines(store: Store, tmp_path: Path) -> None:
    """Shopify/shopify-api-js@3e68dd46:packages/shopify-api/rest/admin/__tests__/2024-04/order.test.ts test_1."""
    orders = example("shopify", "orders_2024-04_get_orders_status_any.json")["orders"]
    mapped = tracehub_map("shopify", "order", orders, tmp_path)
    assert mapped["ok"], mapped
    (record,) = mapped["results"][0]["records"]
    assert (record["order_number"], record["external_id"], record["currency"]) == ("1001", "450789469", "USD")
    assert [(line["sku"], Decimal(line["qty"]), Decimal(line["unit_price"])) for line in record["lines"]] == [
        ("IPOD2008GREEN", 1, Decimal("199.00")),
        ("IPOD2008RED", 1, Decimal("199.00")),
        ("IPOD2008BLACK", 1, Decimal("199.00")),
    ]
    records = [RawRecord(str(o["id"]), datetime.fromisoformat(o["updated_at"]), o) for o in orders]
    assert load(store, "shopify", "order", records)["loaded"] == 1
    assert sorted(line["sku"] for line in rows(store, schema.order_line)) == [
        "IPOD2008BLACK",
        "IPOD2008GREEN",
        "IPOD2008RED",
    ]


def test_shopify_product_example_maps_its_variants_and_flags_barcodes_that_are_no_gtin(
    store: Store, tmp_path: Path
) -> None:
    """Shopify/shopify-api-js@fa41870b:packages/shopify-api/rest/admin/__tests__/2024-04/product.test.ts test_1.

    The example's barcodes ("1234_pink") are no GTINs: the variants are mapped, then refused by
    the check-digit rule, so they cannot resolve a SKU to a device that does not exist.
    """
    products = example("shopify", "products_2024-04_get_products_ids.json")["products"]
    mapped = tracehub_map("shopify", "variant", products, tmp_path)
    ipod = mapped["results"][0]
    assert {f["rule"] for f in ipod["failures"]} == {"gtin_check_digit"}
    assert {f["value"] for f in ipod["failures"]} == {"00000000001234"}  # "1234_pink" etc.: digits only
    records = [RawRecord(str(p["id"]), datetime.fromisoformat(p["updated_at"]), p) for p in products]
    summary = load(store, "shopify", "variant", records)
    assert summary["pulled"] == summary["loaded"] + summary["quarantined"] == len(products)
    usable = [dict(p, variants=[{**v, "barcode": "6951234500016"} for v in p["variants"][:1]]) for p in products[:1]]
    assert tracehub_map("shopify", "variant", usable, tmp_path)["results"][0]["records"][0]["gtin"] == "06951234500016"


@pytest.mark.parametrize(
    "name", ["res_partner_search_read_is_company_limit5.json", "res_partner_read_fields_name_country_comment.json"]
)
def test_odoo_partner_examples_map_to_parties_with_standard_fields(store: Store, tmp_path: Path, name: str) -> None:
    """odoo/documentation content/developer/reference/external_api.rst: search_read and read results."""
    partners = example("odoo", name)
    mapped = tracehub_map("odoo", "party", partners, tmp_path)
    assert mapped["ok"], mapped
    parties = [r["records"][0] for r in mapped["results"]]
    assert [(p["external_id"], p["name"], p["role"]) for p in parties] == [
        (str(p["id"]), p["name"], "other") for p in partners
    ]
    records = [RawRecord(str(p["id"]), PULLED, p) for p in partners]
    assert load(store, "odoo", "party", records)["loaded"] == len(partners)
    assert sorted(r["name"] for r in rows(store, schema.party)) == sorted(p["name"] for p in partners)


def test_a_number_orjson_spells_otherwise_lands_canonical_and_resyncs_unchanged(store: Store) -> None:
    """A version whose fast text differs from the canonical one (`1.5e-05`) is respelled before it
    is stored, and found unchanged again."""
    orders = example("shipbob", "order_list_200.json")
    orders[0]["financials"]["total_price"] = 1.5e-05
    records = [r for order in orders for r in shipment_records(order)]
    (raw,) = records
    canonical = LandedRaw.of(raw.external_id, raw.updated_at, raw.payload)

    first = load(store, "shipbob", "shipment", records)
    assert (first["pulled"], first["loaded"], first["quarantined"]) == (1, 1, 0)
    (stored,) = rows(store, schema.raw_version)
    assert stored["content_hash"] == canonical.content_hash
    again = load(store, "shipbob", "shipment", records)
    assert (again["pulled"], again["unchanged"], again["loaded"]) == (1, 1, 0)


def test_a_payload_pulled_with_its_keys_in_another_order_is_unchanged_and_found_by_its_new_key(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull key follows the platform's key order; the content hash does not. A payload sent
    again with its keys reordered is the same version: nothing lands, only the key it came with is
    kept, and the next re-sync finds it by that key without writing it out again."""
    orders = example("shipbob", "order_list_200.json")
    (raw,) = [r for order in orders for r in shipment_records(order)]
    assert load(store, "shipbob", "shipment", [raw])["loaded"] == 1
    reordered = RawRecord(raw.external_id, raw.updated_at, dict(reversed(raw.payload.items())))
    assert pulled_key(reordered.payload) != pulled_key(raw.payload)

    again = load(store, "shipbob", "shipment", [reordered])
    assert (again["pulled"], again["unchanged"], again["loaded"]) == (1, 1, 0)
    assert len(rows(store, schema.raw_version)) == 1
    (current,) = rows(store, schema.raw_current)
    assert current["pulled_key"] == pulled_key(reordered.payload)[0]

    written_out = []
    monkeypatch.setattr(LandedRaw, "of", lambda *args: written_out.append(args))
    third = load(store, "shipbob", "shipment", [reordered])
    assert (third["pulled"], third["unchanged"], third["loaded"], written_out) == (1, 1, 0, [])


def test_a_record_pulled_twice_in_one_window_lands_its_newer_version(store: Store) -> None:
    """ShipBob's example order, pulled twice in one batch: the newer version wins even when the
    older comes last; the other counts as unchanged."""
    (order,) = example("shipbob", "order_list_200.json")
    older = json.loads(json.dumps(order))
    older["shipments"][0]["recipient"]["address"]["company_name"] = "Older Company"
    (newer_record,) = shipment_records(order)
    (older_record,) = shipment_records(older)
    pulled = [
        RawRecord(newer_record.external_id, PULLED, newer_record.payload),
        RawRecord(older_record.external_id, PULLED.replace(hour=9), older_record.payload),
    ]
    summary = load(store, "shipbob", "shipment", pulled)
    assert (summary["pulled"], summary["unchanged"], summary["loaded"]) == (2, 1, 1)
    (header,) = rows(store, schema.shipment)
    assert header["ship_to_name"] == "Wayne Enterprises"
