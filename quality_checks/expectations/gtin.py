"""Expect every GTIN in a column to carry a correct GS1 mod-10 check digit.

A GTIN (GTIN-8, -12, -13 or -14) ends in a check digit computed from the other digits with
alternating weights 3 and 1 from the right. A wrong check digit almost always means a typo or a
truncated scan, and a GTIN with one cannot be matched to a device, so the record is untraceable.
GX has no GS1 expectation, hence this one. Null values are skipped (GX filters them out of column
map metrics): whether a GTIN is required is a structure question, not a check-digit one.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from biip.checksums import gs1_standard_check_digit
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def gtin_check_digit_ok(value: Any) -> bool:
    """True when `value` is an 8/12/13/14-digit string whose last digit is its GS1 check digit."""
    if not isinstance(value, str) or len(value) not in GTIN_LENGTHS:
        return False
    if not (value.isascii() and value.isdigit()):
        return False
    return gs1_standard_check_digit(value[:-1]) == int(value[-1])


class ColumnValuesValidGtin(ColumnMapMetricProvider):
    """Row-wise metric: the value is a GTIN with a correct check digit."""

    condition_metric_name = "column_values.valid_gtin"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        verdicts = {value: gtin_check_digit_ok(value) for value in column.unique()}
        return column.map(verdicts).astype(bool)


class ExpectColumnValuesToBeValidGtin(ColumnMapExpectation):
    """Expect column values to be GTIN-8/12/13/14 strings with a valid GS1 check digit."""

    map_metric: ClassVar[str] = "column_values.valid_gtin"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["gs1", "udi"], "contributors": ["tracehub"]}
