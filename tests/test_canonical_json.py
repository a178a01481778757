"""The canonical JSON text is what stored raw payloads were hashed over: its fast path must not change a byte."""

from __future__ import annotations

import json
import random
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from data_dictionary.jsonable import canonical_bytes, canonical_json, fast_bytes, json_scalar
from simulators.world import generate_world
from trace_store.batch import pulled_key


def _reference(value: Any) -> str:
    """The spelling every stored hash was computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_scalar)


def _floats() -> list[float]:
    rng = random.Random(5)
    values = [0.0, -0.0, 1.0, 0.1, 1e-4, 9.99e-5, 1.5e-5, 1e15, 1e16, 1e22, 5e-324, 1.7976931348623157e308]
    values += [rng.random() * 10 ** rng.randint(-30, 30) * rng.choice((1, -1)) for _ in range(20_000)]
    bits = (struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(20_000))
    return values + [v for v in bits if v == v and abs(v) != float("inf")]


def test_every_payload_of_a_world_keeps_its_canonical_text() -> None:
    world = generate_world(seed=11, scale=0.3)
    payloads: list[Any] = [*world.shopify_orders, *world.shopify_products, *world.shipbob_orders]
    payloads += [row for rows in world.odoo.values() for row in rows]
    assert len(payloads) > 100
    for payload in payloads:
        assert canonical_json(payload) == _reference(payload)


@pytest.mark.parametrize(
    "value",
    [
        {"qty": 2**70, "id": -(2**64)},
        {"note": "lone \ud800 surrogate"},
        {2: "int keys", 10: "sort as numbers"},
        {"b": [1, {"z": None, "y": True}], "a": "é", "É": '\u2028\x7f\x00\t\n"\\/', "\U0001f600": "\uffff"},
        {"price": Decimal("12.000"), "at": datetime(2026, 3, 2, 2, 15, tzinfo=UTC), "day": date(2026, 3, 2)},
        {"sku": "1e5-0.00001", "weight": "0.000015"},
    ],
    ids=["big-ints", "surrogate", "int-key", "strings-and-order", "decimal-and-times", "float-like-strings"],
)
def test_values_orjson_would_spell_otherwise_fall_back_to_the_reference(value: dict[Any, Any]) -> None:
    assert canonical_json(value) == _reference(value)


def test_floats_are_spelled_as_python_writes_them() -> None:
    floats = _floats()
    assert canonical_json({"values": floats}) == _reference({"values": floats})
    for value in floats:
        assert canonical_bytes([value]) == _reference([value]).encode()


def test_a_pulled_key_follows_the_text_as_pulled() -> None:
    """`pulled_key` hashes orjson's text with the keys in the order the platform sent them: the same
    payload pulled again gives the same key and size, another key order another key; payloads
    orjson refuses (a 70-bit integer) get theirs from the canonical text."""
    world = generate_world(seed=11, scale=0.3)
    payloads: list[Any] = [*world.shopify_orders, *world.shipbob_orders]
    payloads += [{"weight": 1.5e-05}, {"qty": 2**70, "sku": "A"}, {"weight": 1e22, "sku": "1e5-0.00001"}]
    for payload in payloads:
        key, size = pulled_key(payload)
        assert pulled_key(json.loads(json.dumps(payload))) == (key, size)
        assert size == len(fast_bytes(payload, sort_keys=False) or canonical_bytes(payload))
        if len(payload) > 1 and fast_bytes(payload) is not None:
            assert pulled_key(dict(reversed(payload.items())))[0] != key
    refused = {"sku": "A", "qty": 2**70}
    assert pulled_key(refused) == pulled_key(dict(reversed(refused.items()))), "canonical: keys sorted"
