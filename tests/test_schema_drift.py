"""Schema drift: a platform that drops, renames or retypes a field is told apart from bad data; additions are kept.

A shop that has sent a history of orders changes its API: one order arrives without `line_items`
(removed or renamed), one with a quantity as text (retyped), one with a field it never sent
(added). The first two are quarantined with rule `schema_drift` and raise the finding; the
third loads, keeps its new field in the raw payload and is reported; other entities go on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from platforms import running_platforms

import steward
from connectors.registry import build_connector
from data_dictionary.failures import RuleFailure
from pipeline import drift
from pipeline.sync import sync
from simulators.world import generate_world
from trace_store import queries
from traceability.findings import list_findings, refresh_findings


def test_shape_names_every_path_with_its_type_and_lists_as_stars():
    fields = drift.shape(
        {"id": 1, "note": None, "line_items": [{"qty": 2, "sku": "A"}, {"qty": None}], "a": {"b": True}}
    )
    assert fields == {
        "$": "object",
        "id": "number",
        "note": "null",
        "line_items": "array",
        "line_items[*]": "object",
        "line_items[*].qty": "number",
        "line_items[*].sku": "string",
        "a": "object",
        "a.b": "boolean",
    }


def test_tally_counts_payloads_not_values_and_keeps_the_last_payloads_type():
    rows = [{"rows": [{"qty": None}, {"qty": "2"}, {"qty": 3}]}, {"rows": [{"qty": 4}, {"qty": "x"}]}, {"rows": []}]
    counted = drift.tally([{"id": 1}, {"id": "7"}, {"id": None}, {}, *rows])
    assert counted["$"] == ("object", 7)
    assert counted["id"] == ("string", 3), "a null in a later payload keeps the type the last typed one gave"
    assert counted["rows"] == ("array", 3)
    assert counted["rows[*].qty"] == ("number", 2), "two payloads, however many rows; the last one's first type"


def test_shape_keeps_the_first_non_null_type_and_stops_four_levels_down():
    rows = [{"qty": None}, {"qty": "2"}, {"qty": 3}, [1, {"x": 1}]]
    fields = drift.shape({"rows": rows, "a": {"b": {"c": {"d": {"e": 1}}}}})
    assert fields["rows[*]"] == "object", "the first row's type, though a later row is a list"
    assert fields["rows[*].qty"] == "string", "null is no type: the first typed value counts"
    assert fields["rows[*][*]"] == "number"
    assert fields["rows[*][*].x"] == "number", "the fourth level"
    assert fields["a.b.c.d"] == "object" and "a.b.c.d.e" not in fields, "a fifth level is not read"


def test_only_fields_always_sent_before_can_drift():
    known = drift.Known(30, {"$": ("object", 30), "line_items": ("array", 30), "note": ("string", 12)})
    missing = [RuleFailure(rule="mapping", field="line_items", message="required")]
    optional = [RuleFailure(rule="mapping", field="note", message="required")]
    assert drift.reclassify(missing, {"$": "object"}, known)[0].rule == "schema_drift"
    assert drift.reclassify(optional, {"$": "object"}, known)[0].rule == "mapping", "sometimes absent before"
    young = drift.Known(5, {"$": ("object", 5), "line_items": ("array", 5)})
    assert drift.reclassify(missing, {"$": "object"}, young)[0].rule == "mapping", "no history yet"


def test_a_platform_changing_its_payloads_is_drift_an_addition_is_reported(store, monkeypatch):
    world = generate_world(91, 0.3)
    with running_platforms(world, monkeypatch) as platforms:
        config = platforms.configs["shop"]
        first = sync(config, "order", store, build_connector(config))
        assert first.pulled >= drift.HISTORY, "a history of orders"
        loaded = [
            o for o in world.shopify_orders if o["line_items"] and isinstance(o["line_items"][0]["quantity"], int)
        ]
        removed, retyped, added = loaded[:3]
        later = datetime.now(UTC) - timedelta(minutes=1)
        removed.pop("line_items")
        retyped["line_items"][0]["quantity"] = "2 pcs"
        for order in (removed, retyped):
            world.touch("shopify", order["id"], {}, later)
        world.touch("shopify", added["id"], {"x_delivery_window": "09:00-12:00"}, later)

        second = sync(config, "order", store, build_connector(config))
        variants = sync(config, "variant", store, build_connector(config))

    assert (second.loaded, second.quarantined) == (1, 2), second.as_dict()
    assert second.pulled == second.unchanged + second.loaded + second.quarantined
    assert variants.loaded > 0, "other entities go on"
    rows = {r["external_id"]: r for r in steward.list_quarantine(store, source="shop", entity="order")[0]}
    gone = [f for f in rows[str(removed["id"])]["failures"] if f["rule"] == "schema_drift"]
    assert gone and "no longer sends 'line_items'" in gone[0]["message"]
    retyped_failures = [f for f in rows[str(retyped["id"])]["failures"] if f["rule"] == "schema_drift"]
    assert retyped_failures and "as string, where all" in retyped_failures[0]["message"]
    kept = next(r for r in queries.export(store, "order") if r["external_id"] == str(added["id"]))
    assert kept["order_number"]

    refresh_findings(store)
    found = {(f["rule"], f["details"]["field"]) for f in list_findings(store) if f["rule"].startswith("schema_")}
    assert ("schema_drift", "line_items") in found
    assert ("schema_drift", "line_items[0].quantity") in found
    assert ("schema_field_added", "x_delivery_window") in found
