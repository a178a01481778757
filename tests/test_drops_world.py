"""A CSV 3PL in place of ShipBob: the world's shipments as daily drop files load as the ShipBob path loads them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from platforms import running_platforms

from connectors.config import SourceConfig
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.drops import COLUMNS, write_drops
from simulators.world import generate_world
from trace_store import queries
from tracehub.demo import COMPANY_TIMEZONE


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 0.3)


def drop_source(folder: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "tpl",
            "kind": "drop",
            "base_url": folder.as_uri(),
            "entities": ["shipment"],
            "timezone": COMPANY_TIMEZONE,
            "drop": {"settle_seconds": 0, "shipment": {"files": ["*.csv", "*.xlsx"], "columns": COLUMNS}},
        }
    )


def shipped(store: Any, source: str) -> dict[str, tuple[Any, ...]]:
    """Per shipped shipment: its header as traceability reads it and its lines (units by GTIN, lot, serial)."""
    found = {}
    for s in queries.export(store, "shipment"):
        if s["source"] != source or s["status"] != "shipped":
            continue
        lines = sorted(
            (
                ln["gtin"],
                ln["sku"],
                ln["lot"],
                ln["serial"],
                str(ln["expiry_date"]),
                ln["tracking"],
                Decimal(str(ln["qty"])),
            )
            for ln in s["lines"]
        )
        header = (s["order_number"], s["ship_date"], s["carrier"], s["tracking_no"], s["ship_to_name"])
        found[s["shipment_id"]] = (*header, s["ship_to_contact"], s["ship_to_region"], s["from_location"], lines)
    return found


def quarantined(store: Any, source: str) -> dict[str, list[str]]:
    """Quarantined shipments by shipment id, with their rules."""
    found = {}
    for q in queries.quarantine_rows(store):
        if q["source"] != source or q["entity"] != "shipment":
            continue
        shipment = q["payload"]["rows"][0]["shipment_id"] if source == "tpl" else q["external_id"]
        found[shipment] = sorted({f["rule"] for f in q["failures"]})
    return found


def test_a_csv_3pl_loads_the_worlds_shipments_as_shipbob_does(world, store, tmp_path, monkeypatch):
    files = write_drops(world, tmp_path / "drops")
    assert {p.suffix for p in files} == {".csv", ".xlsx"}
    assert any(p.read_bytes().decode("gb18030").startswith("发货单号") for p in files if p.suffix == ".csv")

    with running_platforms(world, monkeypatch) as platforms:
        erp = platforms.configs["erp"]
        connector = build_connector(erp)
        for entity in erp.entities:  # the device master first: lines carry SKUs
            sync(erp, entity, store, connector)
        warehouse = platforms.configs["warehouse"]
        sync(warehouse, "shipment", store, build_connector(warehouse))
    config = drop_source(tmp_path / "drops")
    result = sync(config, "shipment", store, build_connector(config)).as_dict()

    by_shipbob, by_csv = shipped(store, "warehouse"), shipped(store, "tpl")
    assert by_csv == by_shipbob
    assert sum(len(s[-1]) for s in by_csv.values()) > 50, "the world ships many lines"
    assert any(line[3] for s in by_csv.values() for line in s[-1]), "serials travel"
    assert quarantined(store, "tpl") == quarantined(store, "warehouse") != {}
    assert result["pulled"] == len(by_csv) + len(quarantined(store, "tpl"))
    assert sync(config, "shipment", store, build_connector(config)).as_dict()["pulled"] == 0
