"""EPCIS export of a generated world synced through the pipeline: valid, deterministic, complete, filterable."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from commands import tracehub
from platforms import running_platforms, sync_all

from simulators.world import generate_world
from trace_store import schema
from traceability.deliveries import trace_lot
from traceability.epcis import SchemaValidator, epcis_check, export_epcis
from traceability.epcis.events import EpcisConfig, Filters
from traceability.epcis.gs1_uris import gtin_uri
from traceability.epcis.schema_check import schema_path

CONFIG = EpcisConfig()


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 0.2)


def _export(store, path: Path, filters: Filters | None = None, at: datetime | None = None) -> dict:
    export_epcis(store, path, filters, CONFIG, creation_date=at)
    return json.loads(path.read_text(encoding="utf-8"))


def _events(document: dict, kind: str | None = None, step: str | None = None) -> list[dict]:
    return [
        e
        for e in document["epcisBody"]["eventList"]
        if (kind is None or e["type"] == kind) and (step is None or e.get("bizStep") == step)
    ]


def _time(event: dict) -> datetime:
    return datetime.fromisoformat(event["eventTime"])


def _mentions(event: dict, gtin: str, lot: str | None = None) -> bool:
    """Whether the event names the lot (as a class), or any unit or lot of the GTIN when no lot is given."""
    names = [
        q["epcClass"] for key in ("quantityList", "inputQuantityList", "outputQuantityList") for q in event.get(key, [])
    ]
    names += event.get("epcList", [])
    wanted = gtin_uri(gtin, lot=lot)
    return any(n == wanted or (lot is None and n.startswith(wanted + "/")) for n in names)


def _recall(store, lot_gtin: str, lot: str, serial_gtin: str, serial: str) -> None:
    with store.transaction() as conn:
        recall_id = conn.execute(
            schema.recall.insert()
            .values(created_at=datetime(2026, 4, 1, 2, tzinfo=UTC), created_by="qa", reason="test", status="open")
            .returning(schema.recall.c.recall_id)
        ).scalar_one()
        conn.execute(
            schema.recall_item.insert(),
            [
                {"recall_id": recall_id, "item_no": 1, "gtin": lot_gtin, "lot": lot, "serial": None},
                {"recall_id": recall_id, "item_no": 2, "gtin": serial_gtin, "lot": None, "serial": serial},
            ],
        )


def test_world_export_is_valid_deterministic_complete_and_filterable(store, world, monkeypatch, tmp_path):
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    left = schema.shipment.c.status == "shipped"  # pending shipments are no event yet
    with store.connect() as conn:
        lines = list(
            conn.execute(
                sa.select(schema.shipment_line)
                .join(
                    schema.shipment,
                    sa.and_(*(schema.shipment.c[k] == schema.shipment_line.c[k] for k in ("source", "shipment_id"))),
                )
                .where(left)
            )
        )
        records = conn.execute(sa.select(sa.func.count()).select_from(schema.batch_record)).scalar_one()
        shipments = conn.execute(sa.select(sa.func.count()).select_from(schema.shipment).where(left)).scalar_one()
    lot_line = next(ln for ln in lines if ln.lot and not ln.serial)
    serial_line = next(ln for ln in lines if ln.serial)
    _recall(store, lot_line.gtin, lot_line.lot, serial_line.gtin, serial_line.serial)

    first = _export(store, tmp_path / "a.jsonld", at=datetime(2026, 1, 1, tzinfo=UTC))
    again = _export(store, tmp_path / "b.jsonld", at=datetime(2026, 2, 1, tzinfo=UTC))

    # Valid against GS1's schema and our CBV checks; the same store gives the same document.
    assert SchemaValidator().document(first) == []
    assert epcis_check(first) == []
    assert first["creationDate"] != again["creationDate"]
    assert {**first, "creationDate": None} == {**again, "creationDate": None}

    # Complete: one event per shipment, batch record and recall; every shipped unit accounted for.
    shipping = _events(first, "ObjectEvent", "shipping")
    assert len(shipping) == shipments
    assert len(_events(first, "TransformationEvent", "commissioning")) == records
    shipped = sum(Decimal(str(q["quantity"])) for e in shipping for q in e.get("quantityList", []))
    shipped += sum(len(e.get("epcList", [])) for e in shipping)
    assert shipped == sum(ln.qty for ln in lines)
    assert all(e["disposition"] == "in_transit" and e["bizTransactionList"][0]["type"] == "po" for e in shipping)
    assert any(t["type"] == "inv" for e in shipping for t in e["bizTransactionList"]), "invoices link by order"
    assert all("ilmd" in e and e["ilmd"]["cbvmda:lotNumber"] for e in _events(first, "TransformationEvent"))
    (recall,) = _events(first, "ObjectEvent", "holding")
    assert recall["disposition"] == "recalled"
    assert recall["epcList"] == [f"https://id.gs1.org/01/{serial_line.gtin}/21/{serial_line.serial}"]
    assert _mentions(recall, lot_line.gtin, lot_line.lot)

    # Filters select whole events, with the IDs of the full export.
    ids = Counter(e["eventID"] for e in first["epcisBody"]["eventList"])
    assert max(ids.values()) == 1
    by_lot = _export(store, tmp_path / "lot.jsonld", Filters(gtin=lot_line.gtin, lot=lot_line.lot))
    lot_events = by_lot["epcisBody"]["eventList"]
    assert all(e["eventID"] in ids and _mentions(e, lot_line.gtin, lot_line.lot) for e in lot_events)
    assert len(_events(by_lot, step="shipping")) == len(trace_lot(store, lot_line.gtin, lot_line.lot))
    assert len(_events(by_lot, step="holding")) == 1
    expected = [e["eventID"] for e in first["epcisBody"]["eventList"] if _mentions(e, lot_line.gtin, lot_line.lot)]
    assert [e["eventID"] for e in lot_events] == expected

    by_gtin = _export(store, tmp_path / "gtin.jsonld", Filters(gtin=serial_line.gtin))
    assert by_gtin["epcisBody"]["eventList"]
    assert all(_mentions(e, serial_line.gtin) for e in by_gtin["epcisBody"]["eventList"])

    times = sorted(_time(e) for e in first["epcisBody"]["eventList"])
    since = times[len(times) // 2]
    recent = _export(store, tmp_path / "since.jsonld", Filters(since=since.astimezone(UTC)))
    assert [e["eventID"] for e in recent["epcisBody"]["eventList"]] == [
        e["eventID"] for e in first["epcisBody"]["eventList"] if _time(e) >= since
    ]
    late = _export(store, tmp_path / "none.jsonld", Filters(since=times[-1] + timedelta(seconds=1)))
    assert late["epcisBody"]["eventList"] == []
    assert SchemaValidator().document(late) == []


def test_cli_writes_a_valid_document_and_refuses_an_invalid_one(make, sqlite_url, tmp_path):
    from trace_store.store import Store

    store = Store.open(sqlite_url)
    store.upgrade()
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(
        make.batch(run, [make.shipment("S1", [make.line(1, lot="L1", qty=3), make.line(2, serial="SN9")])])
    )
    store.close()
    env = {"TRACEHUB_DB_URL": sqlite_url}

    out = tmp_path / "epcis.jsonld"
    done = tracehub("export", "epcis", "--lot", "L1", "--output", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "wrote 1 EPCIS events" in done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert SchemaValidator().document(document) == [] and epcis_check(document) == []

    # A schema that no longer knows `shipping`: the export is refused, the problem named, nothing written.
    strict = json.loads(schema_path().read_text(encoding="utf-8"))
    strict["definitions"]["bizStep"]["anyOf"][1]["enum"].remove("shipping")
    strict_path = tmp_path / "strict.json"
    strict_path.write_text(json.dumps(strict), encoding="utf-8")
    refused = tmp_path / "refused.jsonld"
    done = tracehub("export", "epcis", "-o", str(refused), env={**env, "TRACEHUB_EPCIS_SCHEMA": str(strict_path)})
    assert done.returncode == 1
    assert "EPCIS export is invalid (1 problems)" in done.stderr
    assert "eventList[0].bizStep" in done.stderr and "Traceback" not in done.stderr
    assert not refused.exists() and not list(tmp_path.glob(".epcis-*"))

    done = tracehub("export", "epcis", "--since", "yesterday", env=env)
    assert done.returncode == 1 and "--since 'yesterday' is not an ISO 8601" in done.stderr
