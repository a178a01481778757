"""Run a suite's rules over its frames with GX: one in-memory context per process, one run per frame.

GX's fixed cost is per validation run, not per row, so all rules on a frame go into one
expectation suite validated in a single run. Row-level capture comes from result_format
COMPLETE with `unexpected_index_column_names` set on the run (not on each expectation), which
makes every failing row come back with its `_rid` (and `_line`). The latest result per suite is
kept in memory for `data_docs.build_data_docs`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from quality_checks.frames import LINE, RID
from quality_checks.suite_specs import HEADER, SuiteSpec

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import PandasDatasource

GX_SEVERITY = {"error": "critical", "warning": "warning"}
"""Our severities in GX's vocabulary, so Data Docs rank failures the same way stewards do."""

latest_results: dict[str, ExpectationSuiteValidationResult] = {}
"""Suite name -> the most recent validation result of that suite in this process."""


def ephemeral_context() -> AbstractDataContext:
    """An in-memory GX context with progress bars and analytics off (runs are per batch, unattended)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def suite_name(entity: str, frame: str) -> str:
    return f"tracehub.{entity}.{frame}"


def build_suite(spec: SuiteSpec, frame: str) -> ExpectationSuite:
    """The GX suite for one frame; meta names each rule (and its index in `spec.rules`)."""
    import great_expectations as gx
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.registry import get_expectation_impl

    import quality_checks.expectations  # noqa: F401  (registers the custom expectations)

    expectations = [
        get_expectation_impl(rule.expectation)(
            **rule.kwargs,
            severity=FailureSeverity(GX_SEVERITY[rule.severity]),
            meta={"rule": rule.rule, "field": rule.field, "rule_index": index},
        )
        for index, rule in enumerate(spec.rules)
        if rule.frame == frame
    ]
    return gx.ExpectationSuite(name=suite_name(spec.entity, frame), expectations=expectations)


def run_frames(
    spec: SuiteSpec, frames: dict[str, pd.DataFrame], parameters: dict[str, Any]
) -> dict[str, ExpectationSuiteValidationResult]:
    """Validate each frame against its rules in one GX run; return the result per frame.

    A batch validates its frame directly (`Batch.validate`): nothing is kept in the context, so
    one context serves the whole process and a run pays for no store writes of its own.
    """
    from great_expectations.core.run_identifier import RunIdentifier

    results = {}
    for frame, df in frames.items():
        name = suite_name(spec.entity, frame)
        suite = build_suite(spec, frame)
        with _gx_lock:
            batch = _batch_definition(name).get_batch(batch_parameters={"dataframe": df})
            result = batch.validate(
                suite,
                expectation_parameters=parameters,
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [RID] if frame == HEADER else [RID, LINE],
                    "return_unexpected_index_query": False,
                },
            )
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        result.meta["run_id"], result.meta["validation_time"] = run_id, run_id.run_time
        latest_results[name] = result
        results[frame] = result
    return results


_gx_lock = threading.Lock()
"""GX builds and validates batches through one shared context: one thread at a time."""


@cache
def _batch_definition(name: str) -> BatchDefinition:
    """A whole-dataframe batch definition named `name`, made once per process in its one context."""
    return validation_source().add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)


@cache
def validation_source() -> PandasDatasource:
    """The pandas data source every validation of this process goes through, in one in-memory context."""
    return ephemeral_context().data_sources.add_pandas("tracehub")
