"""Record splitters a platform declaration may name: the few row shapes YAML cannot say.

A splitter turns one row of a list into the raw records it holds, each with its identity and
change time. It raises ValueError, naming the row, when the row cannot be placed in time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import RawRecord
from connectors.shipbob import return_records, shipment_records

Split = Callable[[dict[str, Any]], list[RawRecord]]

SPLITS: dict[str, Split] = {
    "shipbob_shipments": shipment_records,
    "shipbob_returns": return_records,
}
"""Splitter name (as a declaration's `split:` writes it) -> the function."""
