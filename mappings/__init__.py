"""Platform payloads -> canonical records, by declarative specs in `specs/` (see README.md)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from mappings.engine import Mapping, MapResult

SPECS_DIR = Path(__file__).parent / "specs"
OVERRIDE_ENV = "TRACEHUB_MAPPINGS_DIR"
"""Optional folder of `<kind>_<entity>.yaml` specs that take precedence over `specs/`: how a
mapping fix ships before a release (then `tracehub quarantine replay`)."""

__all__ = ["OVERRIDE_ENV", "SPECS_DIR", "MapResult", "Mapping", "available_mappings", "get_mapping", "spec_path"]


def _spec_dirs() -> list[Path]:
    override = os.environ.get(OVERRIDE_ENV)
    return [Path(override), SPECS_DIR] if override else [SPECS_DIR]


def available_mappings() -> list[tuple[str, str]]:
    """(platform kind, canonical entity) pairs that have a spec, overrides included."""
    pairs = set()
    for folder in _spec_dirs():
        for path in folder.glob("*.yaml"):
            kind, _, entity = path.stem.partition("_")
            pairs.add((kind, entity))
    return sorted(pairs)


def spec_path(kind: str, entity: str) -> Path | None:
    """The spec file in use for a kind and entity: the override folder's first, else the packaged one."""
    for folder in _spec_dirs():
        path = folder / f"{kind}_{entity}.yaml"
        if path.is_file():
            return path
    return None


def get_mapping(kind: str, entity: str) -> Mapping:
    """The compiled mapping for a platform kind and entity.

    Compiled once per spec file version: an edited or newly overriding spec is picked up on the
    next call, with no cache to clear. Raises LookupError when no spec exists: that is a
    configuration error, not a bad record.
    """
    path = spec_path(kind, entity)
    if path is None:
        known = ", ".join(f"{k}/{e}" for k, e in available_mappings())
        raise LookupError(f"no mapping for {kind}/{entity}; known: {known}")
    stat = path.stat()
    return _compile(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _compile(path: Path, mtime_ns: int, size: int) -> Mapping:
    return Mapping.from_file(path)
