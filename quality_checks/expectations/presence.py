"""Expect column values to be present: not null and not blank.

Used for "lot required when the line is lot-tracked" and "serial required when serial-tracked"
(with a row_condition on the tracking column) and for "lot not blank" on lots. GX's built-in
expect_column_values_to_not_be_null accepts "" and "   ", which warehouse CSV exports and some
APIs send instead of null, so a blank lot would pass and a recall would miss the line. This
metric sets `filter_column_isnull = False` so nulls reach it and count as missing too, and the
expectation counts them in its success ratio (the base class would leave nulls out of it, so a
column of nothing but nulls would pass).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.core.metric_function_types import SummarizationMetricNameSuffixes as Suffix
from great_expectations.execution_engine import ExecutionEngine, PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, _format_map_output
from great_expectations.expectations.expectation_configuration import parse_result_format
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial


class ColumnValuesPresent(ColumnMapMetricProvider):
    """Row-wise metric: the value is neither null nor an empty/whitespace-only string."""

    condition_metric_name = "column_values.present"
    filter_column_isnull = False

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        present = column.notna()
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            return present  # numbers and times have no blank spelling: no need to write each one out
        return present & column.astype("string").str.strip().ne("").fillna(False)


class ExpectColumnValuesToBePresent(ColumnMapExpectation):
    """Expect column values to be neither null nor blank."""

    map_metric: ClassVar[str] = "column_values.present"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["completeness"], "contributors": ["tracehub"]}

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> Any:
        """Success ratio over all rows (nulls included), as expect_column_values_to_not_be_null does."""
        requested = self._get_result_format(runtime_configuration=runtime_configuration)
        result_format = parse_result_format(requested)
        total = metrics.get("table.row_count") or 0
        missing = metrics[f"{self.map_metric}.{Suffix.UNEXPECTED_COUNT.value}"]
        return _format_map_output(
            result_format=result_format,
            success=total == 0 or (total - missing) / total >= self._get_success_kwargs()["mostly"],
            element_count=total,
            nonnull_count=None,
            unexpected_count=missing,
            unexpected_list=metrics.get(f"{self.map_metric}.{Suffix.UNEXPECTED_VALUES.value}"),
            unexpected_index_list=metrics.get(f"{self.map_metric}.{Suffix.UNEXPECTED_INDEX_LIST.value}"),
            unexpected_index_query=metrics.get(f"{self.map_metric}.{Suffix.UNEXPECTED_INDEX_QUERY.value}"),
            unexpected_index_column_names=result_format.get("unexpected_index_column_names"),
        )
