"""Expect a line's raw UDI scan to agree with the line's GTIN, lot, serial and expiry date.

The raw UDI (the GS1 barcode scanned at packing) is the physical evidence of what left the
warehouse; the line's gtin/lot/serial/expiry fields are what the WMS typed or mapped. When they
disagree the trace store would record the wrong lot, and a recall would miss the patient. GX has
no UDI parser, hence this expectation. It is a multicolumn map expectation whose `column_list`
is, in this order: raw UDI, gtin, lot, serial, expiry date. Rows without a raw UDI pass. A field
absent from the scan but present on the line (or the reverse) counts as a disagreement. A wrong
GTIN check digit alone is not reported here: the GTIN check-digit rule covers it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import MulticolumnMapMetricProvider
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)

from quality_checks.udi_agreement import blank, udi_mismatches


class MulticolumnValuesUdiConsistent(MulticolumnMapMetricProvider):
    """Row-wise metric: the raw UDI (first column) agrees with gtin, lot, serial, expiry."""

    condition_metric_name = "multicolumn_values.udi_consistent"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_list",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        flags = pd.Series(True, index=column_list.index, dtype=bool)
        scans = column_list.iloc[:, 0]
        scanned = column_list[scans.notna() & (scans.astype("string") != "")]  # rows without a scan pass
        verdicts: dict[tuple[Hashable, ...], bool] = {}
        found = []
        # each column to a list first: iterating rows of Arrow-backed string columns costs twice as much
        for row in zip(*(scanned.iloc[:, i].tolist() for i in range(scanned.shape[1])), strict=True):
            key = tuple(None if blank(v) else v for v in row)
            if key not in verdicts:
                verdicts[key] = not udi_mismatches(*key)
            found.append(verdicts[key])
        if found:
            flags.loc[scanned.index] = found
        return flags


class ExpectMulticolumnValuesToBeUdiConsistent(MulticolumnMapExpectation):
    """Expect a raw UDI to carry the same GTIN, lot, serial and expiry as the row's columns.

    `column_list` must name, in order: raw UDI, gtin, lot, serial, expiry date.
    """

    map_metric: ClassVar[str] = "multicolumn_values.udi_consistent"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["gs1", "udi"], "contributors": ["tracehub"]}
