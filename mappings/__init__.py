"""Platform payloads -> canonical records, by declarative specs in `specs/` (see README.md)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from mappings.engine import DEFAULT_OPTIONS, Mapping, MappingOptions, MapResult

SPECS_DIR = Path(__file__).parent / "specs"
OVERRIDE_ENV = "TRACEHUB_MAPPINGS_DIR"
"""Optional folder of `<kind>_<entity>.yaml` specs that take precedence over `specs/`: how a
mapping fix ships before a release (then `tracehub quarantine replay`)."""

__all__ = [
    "OVERRIDE_ENV",
    "SPECS_DIR",
    "MapResult",
    "Mapping",
    "MappingOptions",
    "available_mappings",
    "get_mapping",
    "spec_path",
]


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


def get_mapping(kind: str, entity: str, options: MappingOptions = DEFAULT_OPTIONS) -> Mapping:
    """The compiled mapping for a platform kind and entity, as a source with `options` reads it.

    Compiled once per spec file version and options: an edited or newly overriding spec is
    picked up on the next call, with no cache to clear. Raises LookupError when no spec exists
    and ValueError when the options do not fit the spec (an unknown field or time zone): both
    are configuration errors, not bad records.
    """
    path = spec_path(kind, entity)
    if path is None:
        known = ", ".join(f"{k}/{e}" for k, e in available_mappings())
        raise LookupError(f"no mapping for {kind}/{entity}; known: {known}")
    stat = path.stat()
    return _compile(path.resolve(), stat.st_mtime_ns, stat.st_size, options)


@cache
def _compile(path: Path, mtime_ns: int, size: int, options: MappingOptions) -> Mapping:
    return Mapping.from_file(path, options)
