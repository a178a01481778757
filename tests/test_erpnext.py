"""ERPNext / Frappe REST: the contract, the simulated site over loopback HTTP, and the mappings on what it serves.

The payloads mapped here are fetched over real HTTP the way a Frappe client reads them: the list names, then
each document whole, then each row's Serial and Batch Bundle fetched into the row (the connector's detail
fetch). The canonical records must agree with the world's ground truth and with what Odoo gives for it.
"""

from __future__ import annotations

import base64
import copy
import json
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import pytest
import requests

from data_dictionary.identity import Item
from mappings import MappingOptions, get_mapping
from pipeline.checks import check_payloads
from simulators.contracts.erpnext_doctypes import erpnext_doctypes, erpnext_document_errors, erpnext_unknown_fields
from simulators.erpnext import API_KEY
from simulators.erpnext_world import render_erpnext
from simulators.server import start
from simulators.world import generate_world

SECRET = "erp-secret"
TZ = "Asia/Shanghai"
OPTIONS = MappingOptions.of(TZ)


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 0.4, studio=False)


@pytest.fixture(scope="module")
def site(world):
    with start("erpnext", world, token=SECRET) as server:
        yield server


def get(site, path: str, auth: str | None = f"token {API_KEY}:{SECRET}", **params: Any) -> requests.Response:
    headers = {"Authorization": auth} if auth else {}
    encoded = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    return requests.get(f"{site.base_url}{quote(path)}", headers=headers, params=encoded, timeout=10)


_FETCHED: dict[tuple[str, str, str], list[dict[str, Any]]] = {}


def documents(site, doctype: str, filters: Any = None) -> list[dict[str, Any]]:
    """Every document of `doctype`, whole, with each row's bundle fetched into the row (fetched once per module)."""
    key = (site.base_url, doctype, json.dumps(filters))
    if key not in _FETCHED:
        _FETCHED[key] = _fetch(site, doctype, filters)
    return copy.deepcopy(_FETCHED[key])


def _fetch(site, doctype: str, filters: Any) -> list[dict[str, Any]]:
    names, start_at = [], 0
    while True:
        page = get(site, f"/api/resource/{doctype}", filters=filters or [], limit_start=start_at, limit_page_length=7)
        rows = page.json()["data"]
        names += [row["name"] for row in rows]
        start_at += len(rows)
        if len(rows) < 7:
            break
    docs = []
    for name in names:
        doc = get(site, f"/api/resource/{doctype}/{name}").json()["data"]
        for row in doc.get("items", []):
            if row.get("serial_and_batch_bundle"):
                bundle = get(site, f"/api/resource/Serial and Batch Bundle/{row['serial_and_batch_bundle']}")
                row["serial_and_batch_bundle"] = bundle.json()["data"]
        docs.append(doc)
    return docs


def mapped(entity: str, docs: list[dict[str, Any]]) -> list[Any]:
    mapping = get_mapping("erpnext", entity, OPTIONS)
    records = []
    for doc in docs:
        result = mapping.map(doc, "erp")
        assert result.failures == [], (doc["name"], result.failures)
        records += result.records
    return records


# -- the contract -------------------------------------------------------------------------------------------------


def test_every_document_of_the_world_follows_its_doctype(world):
    docs = render_erpnext(world)
    assert {d: len(v) > 0 for d, v in docs.items()} == dict.fromkeys(docs, True)
    for doctype, served in docs.items():
        assert [e for doc in served for e in erpnext_document_errors(doctype, doc)] == []
    assert "Batch" not in erpnext_doctypes()


def test_the_validator_refuses_invented_fields_and_wrong_shapes(world):
    note = copy.deepcopy(render_erpnext(world)["Delivery Note"][0])
    note["tracking_number"] = "SF1"
    note["items"][0]["expiry_date"] = "2028-01-01"
    note["items"][0]["qty"] = "10"
    note["modified"] = "2026-01-05T08:00:00+08:00"
    note["docstatus"] = True
    errors = erpnext_document_errors("Delivery Note", note)
    assert errors == [
        "Delivery Note.modified: expected a naive 'YYYY-MM-DD HH:MM:SS.ffffff', got '2026-01-05T08:00:00+08:00'",
        "Delivery Note.docstatus: an Int is an integer, got True",
        "Delivery Note.items[0].qty: a Float is a number, got '10'",
        "Delivery Note.items[0].expiry_date: no such field on DocType 'Delivery Note Item'",
        "Delivery Note.tracking_number: no such field on DocType 'Delivery Note'",
    ]
    assert erpnext_unknown_fields("Item", ["name", "modified", "barcodes", "gtin"]) == ["gtin"]


# -- the site over HTTP -------------------------------------------------------------------------------------------


def test_a_list_gives_names_only_twenty_at_a_time_and_pages_by_offset(site, world):
    first = get(site, "/api/resource/Delivery Note")
    assert first.status_code == 200 and "link" not in first.headers
    rows = first.json()["data"]
    assert len(rows) == 20 and all(list(row) == ["name"] for row in rows)
    every = get(site, "/api/resource/Delivery Note", limit_page_length=0, order_by="modified asc").json()["data"]
    paged = get(site, "/api/resource/Delivery Note", limit_start=5, limit_page_length=3, order_by="modified asc")
    assert paged.json()["data"] == every[5:8]
    assert len(every) == len(render_erpnext(world)["Delivery Note"])


def test_filters_on_modified_in_list_and_dict_form(site):
    fields = ["name", "modified", "docstatus"]
    every = get(site, "/api/resource/Sales Invoice", fields=fields, limit_page_length=0).json()["data"]
    cut = sorted(row["modified"] for row in every)[len(every) // 2][:19]
    newer = get(
        site,
        "/api/resource/Sales Invoice",
        fields=fields,
        filters=[["Sales Invoice", "modified", ">=", cut], ["docstatus", "=", 1]],
        order_by="modified asc",
        limit_page_length=0,
    ).json()["data"]
    assert newer == sorted(
        (row for row in every if row["modified"] >= cut and row["docstatus"] == 1), key=lambda r: r["modified"]
    )
    assert newer and all(row["modified"] >= cut for row in newer)
    as_dict = get(site, "/api/resource/Stock Entry", filters={"purpose": "Manufacture"}, limit_page_length=0)
    assert len(as_dict.json()["data"]) > 0


def test_a_document_comes_whole_with_its_child_tables(site):
    item = get(site, "/api/resource/Item/TH-IS-200").json()["data"]
    assert item["barcodes"][0]["barcode"] == "06951234500016"
    assert item["barcodes"][0]["parenttype"] == "Item"
    note_name = get(site, "/api/resource/Delivery Note").json()["data"][0]["name"]
    note = get(site, f"/api/resource/Delivery Note/{note_name}").json()["data"]
    assert note["items"] and all(row["parent"] == note_name for row in note["items"])
    missing = get(site, "/api/resource/Delivery Note/MAT-DN-1999-99999")
    assert missing.status_code == 404 and missing.json()["exc_type"] == "DoesNotExistError"


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"fields": ["name", "tracking_number"]}, "tracking_number"),
        ({"filters": [["Delivery Note", "shipped_at", ">", "2026-01-01"]]}, "shipped_at"),
        ({"filters": {"expiry_date": "2028-01-01"}}, "expiry_date"),
        ({"order_by": "shipped_at asc"}, "shipped_at"),
    ],
)
def test_an_unknown_field_fails_as_frappe_fails_it(site, params, bad):
    answer = get(site, "/api/resource/Delivery Note", **params)
    assert answer.status_code == 417
    body = answer.json()
    assert body["exc_type"] == "DataError"
    assert body["exception"] == f"frappe.exceptions.DataError: Field not permitted in query: {bad}"
    assert json.loads(json.loads(body["_server_messages"])[0])["message"].endswith(bad)


def test_credentials_token_and_basic_and_refusals(site):
    basic = base64.b64encode(f"{API_KEY}:{SECRET}".encode()).decode()
    assert get(site, "/api/resource/Item", auth=f"Basic {basic}").status_code == 200
    wrong = get(site, "/api/resource/Item", auth=f"token {API_KEY}:nope")
    assert wrong.status_code == 401
    body = wrong.json()
    assert (body["exc_type"], body["exception"]) == (
        "AuthenticationError",
        "frappe.exceptions.AuthenticationError: Invalid API key/secret",
    )
    assert json.loads(json.loads(body["_server_messages"])[0])["message"] == "Invalid API key/secret"
    anonymous = get(site, "/api/resource/Item", auth=None)
    assert (anonymous.status_code, anonymous.json()["exc_type"]) == (403, "PermissionError")
    assert get(site, "/api/resource/Batch").status_code == 404


# -- mappings on what the site serves ------------------------------------------------------------------------------


def test_delivery_note_rows_give_lots_and_serials_from_fields_text_and_bundles(site, world):
    notes = documents(site, "Delivery Note")
    styles = Counter()
    for note in notes:
        for row in note["items"]:
            bundle = row["serial_and_batch_bundle"]
            styles["bundle" if bundle else "serial text" if row["serial_no"] else "batch_no"] += 1
            if bundle:
                assert bundle["voucher_no"] == note["name"] and bundle["voucher_detail_no"] == row["name"]
    assert min(styles.values()) > 0 and len(styles) == 3
    shipments = {s.shipment_id: s for s in mapped("shipment", notes)}
    for note in notes:
        lines = shipments[note["name"]].lines
        expected = []
        for row in note["items"]:
            bundle = row["serial_and_batch_bundle"]
            if bundle:
                expected += [(e["batch_no"], e["serial_no"], abs(Decimal(str(e["qty"])))) for e in bundle["entries"]]
            elif row["serial_no"]:
                expected += [(row["batch_no"], s, Decimal(1)) for s in row["serial_no"].split("\n")]
            else:
                expected.append((row["batch_no"], None, Decimal(str(row["qty"]))))
        assert [(line.lot, line.serial, line.qty) for line in lines] == expected


def test_a_bundle_not_fetched_and_a_missing_lot_quarantine_naming_record_and_field(site, world):
    notes = documents(site, "Delivery Note")
    with_bundle = next(n for n in notes if any(r["serial_and_batch_bundle"] for r in n["items"]))
    raw = copy.deepcopy(with_bundle)
    index = next(i for i, r in enumerate(raw["items"]) if r["serial_and_batch_bundle"])
    raw["items"][index]["serial_and_batch_bundle"] = with_bundle["items"][index]["serial_and_batch_bundle"]["name"]
    failures = get_mapping("erpnext", "shipment", OPTIONS).map(raw, "erp").failures
    assert [(f.rule, f.field) for f in failures] == [("mapping", f"items[{index}].serial_and_batch_bundle")]
    assert "not fetched" in failures[0].message and "\n" not in failures[0].message

    devices = {d.sku: Item(d.gtin, d.tracking) for d in mapped("device", documents(site, "Item"))}
    planted = next(e for e in world.defect_plan if e["defect"] == "missing_lot")
    order = world.shipbob_order_of(planted["external_id"])
    shipment = next(s for s in order["shipments"] if str(s["id"]) == planted["external_id"])
    note = next(n for n in notes if n["lr_no"] == shipment["tracking"]["tracking_number"])
    mapping = get_mapping("erpnext", "shipment", OPTIONS)
    (checked,) = check_payloads(mapping, "erp", "shipment", [(note, None)], devices)
    assert [(f.rule, f.field) for f in checked.failures] == [
        ("lot_required", f"lines[{i}].lot") for i, line in enumerate(checked.records[0].lines) if line.lot is None
    ]
    assert all("\n" not in f.message for f in checked.failures)


def test_items_and_customers_are_the_devices_and_customers_odoo_gives(site, world):
    odoo_devices = get_mapping("odoo", "device", OPTIONS)
    expected = {}
    for product in world.odoo["product.product"]:
        (device,) = odoo_devices.map(product, "erp").records
        expected[device.gtin] = device
    devices = {d.gtin: d for d in mapped("device", documents(site, "Item"))}
    assert devices == expected

    odoo_parties = get_mapping("odoo", "party", OPTIONS)
    customers = [p for p in world.odoo["res.partner"] if p["is_company"] and p["customer_rank"]]
    want = {
        r.name: r.model_copy(update={"external_id": r.name})
        for p in customers
        for r in odoo_parties.map(p, "erp").records
    }
    assert {p.name: p for p in mapped("party", documents(site, "Customer"))} == want


def test_submitted_delivery_notes_ship_the_ground_truths_lots_and_serials(site, world):
    devices = {d.sku: Item(d.gtin, d.tracking) for d in mapped("device", documents(site, "Item"))}
    mapping = get_mapping("erpnext", "shipment", OPTIONS)
    notes = documents(site, "Delivery Note", [["docstatus", "=", 1]])
    lots: dict[str, Counter] = defaultdict(Counter)
    serials: dict[str, set] = defaultdict(set)
    for checked in check_payloads(mapping, "erp", "shipment", [(n, None) for n in notes], devices):
        if checked.failures:
            continue
        for shipment in checked.records:
            for line in shipment.lines:
                lots[f"{line.gtin}|{line.lot}"][shipment.ship_to_name] += line.qty
                if line.serial:
                    serials[f"{line.gtin}|{line.serial}"].add(shipment.ship_to_name)
    lost = {e["external_id"] for e in world.defect_plan if e["defect"] == "missing_lot"}
    truth_lots: dict[str, Counter] = defaultdict(Counter)
    for key, deliveries in world.ground_truth["lots"].items():
        for d in deliveries:
            if d["shipment_id"] not in lost:
                truth_lots[key][d["customer"]] += Decimal(d["qty"])
    assert lots == truth_lots
    truth_serials = {
        key: {d["customer"] for d in deliveries if d["shipment_id"] not in lost}
        for key, deliveries in world.ground_truth["serials"].items()
    }
    assert serials == {k: v for k, v in truth_serials.items() if v}


def test_invoices_are_odoos_invoices(site, world):
    odoo_invoices = get_mapping("odoo", "invoice", OPTIONS)
    products = {p["id"]: p for p in world.odoo["product.product"]}
    lines = {line["id"]: line for line in world.odoo["account.move.line"]}
    expected = {}
    for move in world.odoo["account.move"]:
        payload = {
            **move,
            "invoice_line_ids": [
                {**lines[i], "product_id": products[lines[i]["product_id"][0]]} for i in move["invoice_line_ids"]
            ],
        }
        (invoice,) = odoo_invoices.map(payload, "erp").records
        expected[invoice.order_number] = invoice
    invoices = {i.order_number: i for i in mapped("invoice", documents(site, "Sales Invoice"))}
    assert invoices.keys() == expected.keys()
    for number, invoice in invoices.items():
        odoo = expected[number]
        assert (invoice.invoice_date, invoice.customer_name, invoice.currency, invoice.total) == (
            odoo.invoice_date,
            odoo.customer_name,
            odoo.currency,
            odoo.total,
        )
        assert [(x.sku, x.qty, x.unit_price) for x in invoice.lines] == [
            (x.sku, x.qty, x.unit_price) for x in odoo.lines
        ]


def test_manufacture_entries_give_the_ground_truths_genealogy(site, world):
    entries = documents(site, "Stock Entry", {"purpose": "Manufacture", "docstatus": 1})
    assert any(r.get("serial_and_batch_bundle") for e in entries for r in e["items"])
    genealogy = {
        f"{r.output_gtin}|{r.output_lot}": sorted((i.gtin, i.lot, i.qty) for i in r.inputs)
        for r in mapped("batch_record", entries)
    }
    truth = {
        key: sorted((i["gtin"], i["lot"] if i["recorded"] else None, Decimal(str(i["qty"]))) for i in inputs)
        for key, inputs in world.ground_truth["genealogy"].items()
    }
    assert genealogy == truth


# -- a real sync: the erpnext declaration over loopback into SQLite -------------------------------------------------


def test_a_sync_over_the_declaration_lands_the_worlds_truth(site, world, tmp_path, monkeypatch):
    from connectors.config import ENTITIES_BY_KIND, SourceConfig
    from connectors.registry import build_connector
    from pipeline.sync import sync
    from trace_store import queries
    from trace_store.store import Store
    from traceability import genealogy
    from traceability.deliveries import trace_lot, trace_serial

    monkeypatch.setenv("TRACEHUB_TEST_ERPNEXT_SECRET", SECRET)
    config = SourceConfig.model_validate(
        {
            "name": "erp",
            "kind": "erpnext",
            "base_url": site.base_url,
            "entities": list(ENTITIES_BY_KIND["erpnext"]),
            "credentials": {"env": "TRACEHUB_TEST_ERPNEXT_SECRET"},
            "login": API_KEY,
            "timezone": TZ,
            "page_size": 25,
            "timeout_seconds": 5,
        }
    )
    store = Store.open(f"sqlite:///{tmp_path / 'tracehub.db'}")
    store.upgrade()
    try:
        connector = build_connector(config)
        results = [sync(config, entity, store, connector).as_dict() for entity in config.entities]
        for r in results:
            assert r["pulled"] == r["unchanged"] + r["loaded"] + r["quarantined"], r
        lost = {e["external_id"] for e in world.defect_plan if e["defect"] == "missing_lot"}
        lost_tracking = {
            s["tracking"]["tracking_number"]
            for o in world.shipbob_orders
            for s in o["shipments"]
            if str(s["id"]) in lost
        }
        notes = {n["name"]: n for n in render_erpnext(world)["Delivery Note"]}
        quarantined = {
            (row["entity"], row["external_id"]): sorted({f["rule"] for f in row["failures"]})
            for row in queries.quarantine_rows(store)
        }
        bad_gtins = [
            world.record("odoo", e["external_id"])
            for e in world.defect_plan
            if e["defect"] == "invalid_gtin_check_digit"
        ]
        assert quarantined == {
            **{("shipment", name): ["lot_required"] for name, n in notes.items() if n["lr_no"] in lost_tracking},
            **{("device", p["default_code"]): ["gtin_check_digit"] for p in bad_gtins},
        }
        assert {r["gtin"] for r in queries.export(store, "device")} == {
            p["barcode"] for p in world.odoo["product.product"] if p not in bad_gtins
        }
        for key, deliveries in world.ground_truth["lots"].items():
            gtin, lot = key.split("|", 1)
            want = Counter()
            for d in deliveries:
                if d["shipment_id"] not in lost:
                    want[d["customer"]] += Decimal(str(d["qty"]))
            got = Counter()
            for d in trace_lot(store, gtin, lot):
                got[d.customer] += Decimal(str(d.qty))
            assert got == want, key
        for key, deliveries in world.ground_truth["serials"].items():
            gtin, serial = key.split("|", 1)
            want_serial = {d["customer"] for d in deliveries if d["shipment_id"] not in lost}
            assert {d.customer for d in trace_serial(store, gtin, serial)} == want_serial, key
        with store.connect() as conn:
            for key, inputs in world.ground_truth["genealogy"].items():
                gtin, lot = key.split("|", 1)
                got = genealogy.backward(conn, gtin, lot=lot).inputs()
                recorded = sorted((i.gtin, i.lot, Decimal(str(i.qty))) for i in got if i.evidence != "inferred")
                assert recorded == sorted(
                    (i["gtin"], i["lot"], Decimal(str(i["qty"]))) for i in inputs if i["recorded"]
                ), key
                # No Batch, so no lot master: a lot-less input is "component G, lot unknown", never a partial list.
                inferred = sorted((i.gtin, i.lot) for i in got if i.evidence == "inferred")
                assert inferred == sorted((i["gtin"], None) for i in inputs if not i["recorded"]), key
        assert [
            r["loaded"] for entity in config.entities for r in [sync(config, entity, store, connector).as_dict()]
        ] == [0] * len(config.entities)
    finally:
        store.close()


def erpnext_source(base_url: str, monkeypatch: pytest.MonkeyPatch, entities: list[str]) -> Any:
    from connectors.config import SourceConfig

    monkeypatch.setenv("TRACEHUB_TEST_ERPNEXT_SECRET", SECRET)
    return SourceConfig.model_validate(
        {
            "name": "erp",
            "kind": "erpnext",
            "base_url": base_url,
            "entities": entities,
            "credentials": {"env": "TRACEHUB_TEST_ERPNEXT_SECRET"},
            "login": API_KEY,
            "timezone": TZ,
            "page_size": 10,
            "timeout_seconds": 2,
            "lookback_minutes": 10,
        }
    )


def test_an_incremental_sync_picks_up_a_cancelled_note_by_its_site_time_modified(world, tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from connectors.http import RetryPolicy
    from connectors.registry import build_connector
    from pipeline.sync import sync
    from trace_store import queries
    from trace_store.store import Store

    with start("erpnext", world, token=SECRET) as server:
        config = erpnext_source(server.base_url, monkeypatch, ["shipment"])
        connector = build_connector(config, policy=RetryPolicy(attempts=2, initial_wait=0.01))
        store = Store.open(f"sqlite:///{tmp_path / 'tracehub.db'}")
        store.upgrade()
        try:
            first = sync(config, "shipment", store, connector).as_dict()
            shipped = next(n for n in server.platform.docs["Delivery Note"] if n["docstatus"] == 1)
            server.platform.touch(
                "Delivery Note", shipped["name"], {"docstatus": 2, "status": "Cancelled"}, datetime.now(UTC)
            )
            before = len(server.requests)
            second = sync(config, "shipment", store, connector).as_dict()
            stored = {r["shipment_id"]: r["status"] for r in queries.export(store, "shipment")}
            listed = [r for r in server.requests[before:] if unquote(r.path).endswith("/resource/Delivery Note")]
        finally:
            store.close()
    assert first["loaded"] > 1 and second["loaded"] == 1 and second["pulled"] < first["pulled"]
    assert stored[shipped["name"]] == "cancelled"
    window = json.loads(listed[0].query["filters"])
    assert any(f[-3:-1] == ["modified", ">="] or f[1:3] == ["modified", ">="] for f in window), window


def test_faults_end_in_the_same_store(world, tmp_path, monkeypatch):
    from connectors.http import RetryPolicy
    from connectors.registry import build_connector
    from pipeline.sync import sync
    from simulators.server import Faults
    from trace_store import queries
    from trace_store.store import Store

    dumps = []
    for index, faults in enumerate(
        [Faults(), Faults(rate=0.25, kinds=("429", "500", "503", "drop", "truncate"), seed=3)]
    ):
        with start("erpnext", world, token=SECRET, faults=faults) as server:
            config = erpnext_source(server.base_url, monkeypatch, ["device", "batch_record", "shipment"])
            connector = build_connector(config, policy=RetryPolicy(attempts=12, initial_wait=0.01, max_wait=0.05))
            store = Store.open(f"sqlite:///{tmp_path / f'tracehub{index}.db'}")
            store.upgrade()
            try:
                for entity in config.entities:
                    sync(config, entity, store, connector)
                dumps.append({e: sorted(map(str, queries.export(store, e))) for e in config.entities})
            finally:
                store.close()
            assert index == 0 or any(r.fault for r in server.requests)
    assert dumps[0] == dumps[1] and all(dumps[0].values())


@pytest.mark.parametrize(
    ("value", "utc"),
    [
        ("2026-03-02 10:15:00.123456", "2026-03-02T02:15:00.123456+00:00"),
        ("2026-03-02 00:30:00", "2026-03-01T16:30:00+00:00"),
        (["2026-03-02", "9:05:00"], "2026-03-02T01:05:00+00:00"),
        (["2026-03-02", "09:05:00.5"], "2026-03-02T01:05:00.500000+00:00"),
        ("2026-03-02T10:15:00+00:00", "2026-03-02T10:15:00+00:00"),
    ],
)
def test_site_times_are_read_in_the_sites_zone(value, utc):
    from zoneinfo import ZoneInfo

    from mappings.transforms import TRANSFORMS

    assert TRANSFORMS["site_datetime"](zone=ZoneInfo(TZ))(value).isoformat() == utc


def test_refused_credentials_fail_at_once_with_one_line_naming_the_source(site, monkeypatch):
    from datetime import UTC, datetime

    from connectors.errors import PERMANENT
    from connectors.registry import build_connector

    config = erpnext_source(site.base_url, monkeypatch, ["device"])
    monkeypatch.setenv("TRACEHUB_TEST_ERPNEXT_SECRET", "not-the-secret")
    before = len(site.requests)
    with pytest.raises(PERMANENT) as refused:
        for _ in build_connector(config).pull("device", since=None, until=datetime.now(UTC)):
            pass
    message = str(refused.value)
    assert "erp" in message and "\n" not in message and "not-the-secret" not in message
    assert [r.status for r in site.requests[before:]] == [401]


def test_a_delivery_note_is_the_shipment_shipbob_gives_for_it(site, world):
    """Same order, status, moment, carrier, consignee and lines; what differs is named: ids, the warehouse's
    company suffix, no region (the note has the customer's territory only), no expiry (no Batch), and a
    draft's posting date where ShipBob has no ship date yet."""
    shipbob = get_mapping("shipbob", "shipment", OPTIONS)
    by_tracking = {}
    for order in world.shipbob_orders:
        for shipment in order["shipments"]:
            (record,) = shipbob.map({**order, "shipments": [shipment]}, "warehouse").records
            by_tracking[record.tracking_no] = record
    same = ("order_number", "status", "ship_date", "carrier", "ship_to_name", "ship_to_contact", "ship_to_email")
    notes = mapped("shipment", documents(site, "Delivery Note"))
    assert len(notes) == len(by_tracking)
    for note in notes:
        want = by_tracking[note.tracking_no]
        if note.status == "pending":  # a draft note has a posting date before it leaves
            want = want.model_copy(update={"ship_date": note.ship_date})
        assert {f: getattr(note, f) for f in same} == {f: getattr(want, f) for f in same}, note.shipment_id
        assert note.ship_to_phone == want.ship_to_phone and note.from_location == f"{want.from_location} - THM"
        assert [(x.sku, x.lot, x.serial, x.qty, x.tracking) for x in note.lines] == [
            (x.sku, x.lot, x.serial, x.qty, x.tracking) for x in want.lines
        ], note.shipment_id


def test_serial_numbers_name_their_batch_and_say_they_were_delivered(site, world):
    delivered = get(
        site, "/api/resource/Serial No", fields=["name", "batch_no", "customer"], filters={"status": "Delivered"}
    )
    rows = {
        r["name"]: r for r in get(site, "/api/resource/Serial No", fields=["*"], limit_page_length=0).json()["data"]
    }
    assert delivered.status_code == 200 and len(delivered.json()["data"]) == 20
    for key, deliveries in world.ground_truth["serials"].items():
        serial = key.split("|", 1)[1]
        assert len(deliveries) == 1, key
        lot = next(
            k.split("|", 1)[1] for k, ds in world.ground_truth["lots"].items() for d in ds if serial in d["serials"]
        )
        assert (rows[serial]["batch_no"], rows[serial]["status"]) == (lot, "Delivered"), serial
