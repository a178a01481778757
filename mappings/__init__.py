"""Platform payloads -> canonical records, by declarative specs in `specs/` (see README.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from mappings.engine import Mapping, MapResult

SPECS_DIR = Path(__file__).parent / "specs"

__all__ = ["SPECS_DIR", "MapResult", "Mapping", "available_mappings", "get_mapping"]


def available_mappings() -> list[tuple[str, str]]:
    """(platform kind, canonical entity) pairs that have a spec."""
    pairs = []
    for path in sorted(SPECS_DIR.glob("*.yaml")):
        kind, _, entity = path.stem.partition("_")
        pairs.append((kind, entity))
    return pairs


@cache
def get_mapping(kind: str, entity: str) -> Mapping:
    """The compiled mapping for a platform kind and entity, compiled once per process.

    Raises LookupError when no spec exists: that is a configuration error, not a bad record.
    """
    path = SPECS_DIR / f"{kind}_{entity}.yaml"
    if not path.is_file():
        known = ", ".join(f"{k}/{e}" for k, e in available_mappings())
        raise LookupError(f"no mapping for {kind}/{entity}; known: {known}")
    return Mapping.from_file(path)
