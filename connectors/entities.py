"""Checking a requested entity against what a platform kind serves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def declared(kind: str, entity: str, declarations: Mapping[str, T]) -> T:
    """The declaration for `entity`, or a ValueError naming it and the allowed ones."""
    try:
        return declarations[entity]
    except KeyError:
        raise ValueError(
            f"{kind} connectors do not serve entity {entity!r}; choose from {list(declarations)}"
        ) from None
