"""The kinds of physical evidence a trace edge can carry, and how traces walk each kind.

Every `trace_edge.evidence` value is registered here; the genealogy queries read this registry
instead of naming kinds, so adding a kind of evidence is one line:

    register("returned", "inbound")

plus, when a canonical entity produces those edges, its builder in `rows.EDGE_BUILDERS`
(`"return": ("returned", returned_edges)`). No migration is needed: the database does not
constrain `evidence`, this registry does (`check` is called for every edge the loader writes).

Shapes, in the columns of `trace_edge`:
- `produced`: the item (gtin, lot) went into the output lot (output_gtin, output_lot). Forward
  traces walk from the item to the output, backward traces from the output to the item.
- `outbound`: the item (gtin, lot, serial) left us for `to_party`. A forward trace ends there.
- `inbound`: the item came to us from `from_party` (a receipt, a return). Forward and backward
  traces both show it on every lot they reach, and stop there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["produced", "outbound", "inbound"]
Confidence = Literal["recorded", "inferred"]


@dataclass(frozen=True, slots=True)
class EvidenceKind:
    name: str
    shape: Shape
    confidence: Confidence = "recorded"
    """`inferred`: the link is our deduction, not the source's statement (architecture rule 6)."""


EVIDENCE: dict[str, EvidenceKind] = {}


def register(name: str, shape: Shape, confidence: Confidence = "recorded") -> EvidenceKind:
    """Make `name` a known evidence kind of `shape` (idempotent for an identical registration)."""
    kind = EvidenceKind(name, shape, confidence)
    if EVIDENCE.setdefault(name, kind) != kind:
        raise ValueError(f"evidence kind {name!r} is already registered as {EVIDENCE[name]}")
    return kind


def names(*shapes: Shape) -> list[str]:
    """Registered kinds of the given shapes, sorted (stable SQL text for the query cache)."""
    return sorted(k.name for k in EVIDENCE.values() if k.shape in shapes)


def check(edges: list[dict[str, object]]) -> None:
    """Refuse edges of an unregistered kind or with a confidence their kind does not carry."""
    for edge in edges:
        kind = EVIDENCE.get(str(edge["evidence"]))
        if kind is None or kind.confidence != edge["confidence"]:
            raise ValueError(
                f"trace edge {edge['edge_id']} ({edge['source']}/{edge['doc_id']} line {edge['line_no']}): "
                f"evidence {edge['evidence']!r} with confidence {edge['confidence']!r} is not registered in "
                f"trace_store/evidence.py (known: {sorted(EVIDENCE)})"
            )


register("shipped", "outbound")
register("produced_from", "produced")
register("inferred", "produced", "inferred")
register("returned", "inbound")
