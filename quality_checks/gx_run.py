"""Run a suite's rules over its frames with GX: one ephemeral context per batch, one run per frame.

GX's fixed cost is per validation run, not per row, so all rules on a frame go into one
expectation suite validated in a single run. Row-level capture comes from result_format
COMPLETE with `unexpected_index_column_names` set on the run (not on each expectation), which
makes every failing row come back with its `_rid` (and `_line`). The latest result per suite is
kept in memory for `data_docs.build_data_docs`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from quality_checks.frames import LINE, RID
from quality_checks.suite_specs import HEADER, SuiteSpec

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult
    from great_expectations.data_context import AbstractDataContext

GX_SEVERITY = {"error": "critical", "warning": "warning"}
"""Our severities in GX's vocabulary, so Data Docs rank failures the same way stewards do."""

T = TypeVar("T")

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

    Each batch is validated directly (`Batch.validate`), which stores no result in the context.
    The context lives for one call: one kept for the whole process grew a long sync's memory.
    The run happens on GX's own thread (`_gx_thread`).
    """
    return on_gx_thread(_run, spec, frames, parameters)


def _run(
    spec: SuiteSpec, frames: dict[str, pd.DataFrame], parameters: dict[str, Any]
) -> dict[str, ExpectationSuiteValidationResult]:
    from great_expectations.core.run_identifier import RunIdentifier

    results = {}
    source = ephemeral_context().data_sources.add_pandas("tracehub")
    for frame, df in frames.items():
        name = suite_name(spec.entity, frame)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        result = batch.get_batch(batch_parameters={"dataframe": df}).validate(
            build_suite(spec, frame),
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


_gx_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracehub-gx")
"""Every GX run of the process (`on_gx_thread`), one at a time, on a thread of its own.

One at a time, because GX makes each new context the process's current one. On a thread of its
own, because GX's pydantic models raise and catch errors inside each run, and each caught error's
traceback is a reference cycle holding every frame above it: run on the caller's thread, that was
the sync's frame and its whole batch, kept until a full collection (some 5,000 records and their
raw text per batch). Here the frames above GX's end at this thread's loop."""


def on_gx_thread(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` run on GX's own thread (`_gx_thread`), once the runs before it are done."""
    return _gx_thread.submit(work, *args).result()


def _renew_gx_thread() -> None:
    """A forked child has none of its parent's threads, so it starts a GX thread of its own."""
    global _gx_thread
    _gx_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracehub-gx")


os.register_at_fork(after_in_child=_renew_gx_thread)
