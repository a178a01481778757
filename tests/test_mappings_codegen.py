"""The generated mapping pass agrees with the interpreter, payload by payload.

On a clean payload both give the same field values; wherever the interpreter names a failure
(or a transform raises), the generated pass gives way by raising, so the engine asks the
interpreter. Payloads: every record of a generated world as Shopify, ShipBob, Odoo,
WooCommerce and ERPNext serve it, and each again with values broken at random places
(removed, null, false, text, a number, an empty list or object), so the generated branches
meet the shapes that fail as well as those that map.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from test_mappings_world import options_for, world_payloads

from mappings import Mapping, MappingOptions, get_mapping
from mappings.codegen import Build, generate
from mappings.interpret import Interpreter
from simulators.erpnext_world import render_erpnext
from simulators.woocommerce_store import render_store

world_module = pytest.importorskip("simulators.world")

_REMOVED = object()
_BREAKS = (_REMOVED, None, False, "not a value", 7, [], {})
_ERPNEXT = {"Item": "device", "Customer": "party", "Delivery Note": "shipment", "Sales Invoice": "invoice"}
_ERPNEXT |= {"Stock Entry": "batch_record", "Serial No": "serial_number"}


@cache
def _both(mapping: Mapping) -> tuple[Interpreter, Build]:
    return Interpreter(mapping.plan), generate(mapping.plan, mapping.name)[0]


def _corpus() -> Iterator[tuple[Mapping, dict[str, Any]]]:
    world = world_module.generate_world(seed=11, scale=1, studio=True)
    for kind, entity, payload, _ in world_payloads(world):
        yield get_mapping(kind, entity, options_for(world, kind, entity)), payload
    for product in world.shopify_products:
        yield get_mapping("shopify", "variant"), product
    store = render_store(world)
    for order in store.orders:
        yield get_mapping("woocommerce", "order"), order
        yield get_mapping("woocommerce", "shipment"), order
    for product in store.products:
        yield get_mapping("woocommerce", "variant"), product
    site = MappingOptions.of("Asia/Shanghai")
    for doctype, docs in render_erpnext(world).items():
        if doctype in _ERPNEXT:
            for doc in docs:
                yield get_mapping("erpnext", _ERPNEXT[doctype], site), doc


def _places(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and list position in a payload, as the steps that reach it."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for step, child in items:
        yield (*here, step)
        yield from _places(child, (*here, step))


def _broken(payload: dict[str, Any], place: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(payload)
    parent = broken
    for step in place[:-1]:
        parent = parent[step]
    if value is not _REMOVED:
        parent[place[-1]] = value
    elif isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent.pop(place[-1])
    return broken


def _agree(mapping: Mapping, payload: dict[str, Any]) -> bool:
    """Whether the pass and the interpreter agree; True also says the payload mapped cleanly."""
    interpret, build = _both(mapping)
    try:
        values, failures = interpret(payload)
    except Exception:  # a transform met a shape it does not expect: map() reports it
        values, failures = [], ["raised"]
    try:
        generated = build(payload)
    except Exception:
        assert failures, f"{mapping.name}: the generated pass gave way on a payload the interpreter maps"
        return False
    assert not failures, f"{mapping.name}: the generated pass mapped a payload the interpreter fails: {failures}"
    assert generated == values, mapping.name
    return True


def test_the_generated_pass_maps_every_clean_world_payload_as_the_interpreter_does() -> None:
    clean: dict[str, int] = {}
    for mapping, payload in _corpus():
        if _agree(mapping, payload):
            clean[mapping.name] = clean.get(mapping.name, 0) + 1
    assert len(clean) == 20 and all(clean.values()), clean


def test_the_generated_pass_gives_way_wherever_the_interpreter_names_a_failure() -> None:
    pick = random.Random(5)
    outcomes = {True: 0, False: 0}
    for mapping, payload in _corpus():
        places = list(_places(payload))
        for place in pick.sample(places, min(6, len(places))):
            outcomes[_agree(mapping, _broken(payload, place, pick.choice(_BREAKS)))] += 1
    assert outcomes[True] > 1000 and outcomes[False] > 1000, outcomes


def test_spec_text_reaches_the_generated_code_only_as_literals() -> None:
    hostile = "x'\nraise SystemExit('injected')\n#\"\\"  # a key may hold quotes, backslashes and new lines
    spec = {"entity": "party", "fields": {"external_id": f"$.{hostile}", "role": {"const": "hospital"}, "name": "n"}}
    mapping = Mapping(spec)
    result = mapping.map({hostile: "P1", "n": "Ruijin"}, "s", datetime(2026, 7, 1, tzinfo=UTC))
    assert [(record.external_id, record.name) for record in result.records] == [("P1", "Ruijin")]
    assert repr(hostile) in mapping.code


def test_a_spec_the_pass_cannot_write_maps_by_the_interpreter_alone() -> None:
    spec = {
        "entity": "party",
        "explode": "groups[*].members[*]",  # a wildcard inside an `each` path: not written out
        "fields": {"external_id": "id", "role": {"const": "hospital"}, "name": "name"},
    }
    mapping = Mapping(spec)
    at = datetime(2026, 7, 1, tzinfo=UTC)
    members = [{"id": "P1", "name": "Ruijin"}, {"id": "P2", "name": "Huashan"}]
    clean = mapping.map({"groups": [{"members": members[:1]}, {"members": members[1:]}]}, "s", at)
    broken = mapping.map({"groups": [{"members": members}, {"members": [{"id": "P3"}]}]}, "s", at)
    assert mapping.code == ""
    assert [(r.external_id, r.name) for r in clean.records] == [("P1", "Ruijin"), ("P2", "Huashan")]
    assert broken.records == []
    failures = [(f.field, f.message) for f in broken.failures]
    assert failures == [("groups[1].members[0].name", "a value is required here")]
