"""Every record of a generated world maps, studio or standard; only the planted malformed dates fail mapping."""

from __future__ import annotations

import copy
import operator
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.shipbob import return_records, shipment_records
from mappings import MappingOptions, get_mapping
from tracehub.demo import ERP_STUDIO_FIELDS, WAREHOUSE_FIELDS

world_module = pytest.importorskip("simulators.world")
odoo_connector = pytest.importorskip("connectors.odoo")

_OPS = {"=": operator.eq, "!=": operator.ne}


@pytest.fixture(scope="module", params=[True, False], ids=["studio", "standard"])
def world(request: pytest.FixtureRequest) -> Any:
    return world_module.generate_world(seed=7, scale=1, studio=request.param)


def options_for(world: Any, kind: str, entity: str) -> MappingOptions:
    """How the demo configures its sources: the Studio field map only where the ERP has those fields."""
    fields = {"odoo": ERP_STUDIO_FIELDS if world.studio else {}, "shipbob": WAREHOUSE_FIELDS}.get(kind, {})
    return MappingOptions.of("Asia/Shanghai" if kind == "odoo" else "UTC", fields.get(entity))


def _expand(rows: list[dict[str, Any]], relations: Any, odoo: dict[str, list[dict[str, Any]]]) -> None:
    """What the Odoo connector does: relation ids -> the related records' requested fields."""
    for rel in relations:
        by_id = {record["id"]: record for record in odoo[rel.model]}
        wanted = ("id", *rel.fields, *(child.field for child in rel.expand))

        def related(record_id: int, rel: Any = rel, by_id: dict[int, Any] = by_id, wanted: Any = wanted) -> Any:
            found = [{name: by_id[record_id][name] for name in wanted if name in by_id[record_id]}]
            _expand(found, rel.expand, odoo)
            return found[0]

        for row in rows:
            value = row.get(rel.field)
            if rel.to_many and isinstance(value, list):
                row[rel.field] = [related(i) for i in sorted(value)]
            elif not rel.to_many and isinstance(value, list) and value:
                row[rel.field] = related(value[0])


def _odoo_payloads(world: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for entity, spec in odoo_connector.ENTITIES.items():
        custom = list(ERP_STUDIO_FIELDS.get(entity, {}).values()) if world.studio else []
        rows = [
            {name: record[name] for name in (*spec.fields, *custom) if name in record}
            for record in copy.deepcopy(world.odoo[spec.model])
            if all(_OPS[op](record.get(name), value) for name, op, value in spec.domain)
        ]
        _expand(rows, spec.expand, world.odoo)
        for row in rows:
            yield entity, row


PULLED = datetime(2026, 7, 1, tzinfo=UTC)


def world_payloads(world: Any) -> Iterator[tuple[str, str, dict[str, Any], datetime]]:
    """Every raw record as the connectors land it, with the time they place it at."""
    for order in world.shopify_orders:
        yield "shopify", "order", order, PULLED
    for order in world.shipbob_orders:
        for raw in shipment_records(order):
            yield "shipbob", "shipment", raw.payload, raw.updated_at
    for returned in world.shipbob_returns:
        for raw in return_records(returned):
            yield "shipbob", "return", raw.payload, raw.updated_at
    for item in world.shipbob_inventory:
        yield "shipbob", "inventory", item, PULLED
    for entity, row in _odoo_payloads(world):
        yield "odoo", entity, row, PULLED


def test_whole_world_maps_with_only_the_planted_mapping_failures(world: Any) -> None:
    expected_to_fail = {
        (entry["platform"], entry["external_id"]) for entry in world.defect_plan if entry["defect"] == "malformed_date"
    }
    failed: set[tuple[str, str]] = set()
    unexpected: list[Any] = []
    counts: dict[str, int] = {}
    for kind, entity, payload, updated_at in world_payloads(world):
        result = get_mapping(kind, entity, options_for(world, kind, entity)).map(payload, f"{kind}-test", updated_at)
        counts[entity] = counts.get(entity, 0) + len(result.records)
        key = (kind, str(payload.get("id", payload.get("inventory_id"))))
        if result.failures:
            failed.add(key)
            if key not in expected_to_fail:
                unexpected.append((key, result.failures))
            assert {failure.rule for failure in result.failures} == {"mapping"}
    assert unexpected == []
    assert failed == expected_to_fail
    shipments = sum(len(order["shipments"]) for order in world.shipbob_orders)
    assert counts["shipment"] == shipments
    assert set(counts) == {
        "order",
        "shipment",
        "device",
        "party",
        "lot",
        "batch_record",
        "invoice",
        "scrap",
        "return",
        "inventory",
    }
    assert all(counts.values())
