"""Run a suite's rules over its frames with GX, in a worker process of GX's own.

GX's fixed cost is per validation run, not per row, so all rules on a frame go into one
expectation suite validated in a single run. Row-level capture comes from result_format
COMPLETE with `unexpected_index_column_names` set on the run (not on each expectation), which
makes every failing row come back with its `_rid` (and `_line`).

Every GX run of a process, validations and Data Docs alike, goes to its GX worker (`submit`),
one at a time. The worker is a child process forked at first use: GX is pure Python, so in the
same process it held the interpreter lock the mapping of the next batch needs, while in its own
process it runs beside it on the other core. Only plain data crosses: the frames' columns go
in, each rule's failing rows come out. The worker keeps the latest result per suite for
`data_docs`. A daemonic process may not have children; there, GX runs on a thread instead.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from quality_checks.frames import LINE, RID
from quality_checks.suite_specs import HEADER, SuiteSpec

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult
    from great_expectations.data_context import AbstractDataContext

GX_SEVERITY = {"error": "critical", "warning": "warning"}
"""Our severities in GX's vocabulary, so Data Docs rank failures the same way stewards do."""

T = TypeVar("T")

Columns = dict[str, list[Any]]
"""One frame as columns of plain values (`frames`), the form it crosses to the worker in."""

Outcome = tuple[int, str | None, list[dict[str, Any]]]
"""One rule's outcome on a frame: its index in the suite's rules, GX's error message when it could
not evaluate the rule (else None), and the rule's failing rows, each with `_rid` (and `_line`)."""

latest_results: dict[str, ExpectationSuiteValidationResult] = {}
"""Suite name -> the most recent validation result of that suite in this GX worker."""


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


def submit_frames(
    spec: SuiteSpec, frames: dict[str, Columns], parameters: dict[str, Any]
) -> Future[dict[str, list[Outcome]]]:
    """Validate each frame against its rules in one GX run, in the GX worker; the outcomes per frame, later."""
    global _validated
    _validated = True
    return submit(_run, spec, frames, parameters)


def run_frames(spec: SuiteSpec, frames: dict[str, Columns], parameters: dict[str, Any]) -> dict[str, list[Outcome]]:
    """`submit_frames`, waited for."""
    return submit_frames(spec, frames, parameters).result()


def _run(spec: SuiteSpec, frames: dict[str, Columns], parameters: dict[str, Any]) -> dict[str, list[Outcome]]:
    """In the worker: each frame validated directly (`Batch.validate`, which stores no result in
    the context). The context lives for one call: one kept for the whole process grew its memory."""
    import pandas as pd
    from great_expectations.core.run_identifier import RunIdentifier

    outcomes = {}
    source = ephemeral_context().data_sources.add_pandas("tracehub")
    for frame, columns in frames.items():
        name = suite_name(spec.entity, frame)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        result = batch.get_batch(batch_parameters={"dataframe": pd.DataFrame(columns)}).validate(
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
        outcomes[frame] = [_outcome(one) for one in result.results]
    return outcomes


def _outcome(one: Any) -> Outcome:
    assert one.expectation_config is not None  # GX sets it on every result of a suite run
    rows = list(one.result.get("unexpected_index_list") or ())
    return one.expectation_config.meta["rule_index"], _raised(one.exception_info or {}), rows


def _raised(exception_info: dict[str, Any]) -> str | None:
    """GX reports one exception dict, or one per metric; return the first message, if any."""
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message"))
    return None


_worker: Executor | None = None
_worker_lock = threading.Lock()
_validated = False


def has_validated() -> bool:
    """Whether this process has sent a validation to its GX worker (whose results Data Docs show)."""
    return _validated


def submit(work: Callable[..., T], *args: Any) -> Future[T]:
    """`work(*args)` run in the GX worker, once the runs before it are done.

    `work` is a module-level function and its arguments plain data, as they cross to a child
    process. A worker that died fails the calls it held; the next call starts a new one.
    """
    worker = _current_worker()
    try:
        return worker.submit(work, *args)
    except BrokenProcessPool:  # it died since the last call: a new one takes this call
        _drop_worker(worker)
        return _current_worker().submit(work, *args)


def _current_worker() -> Executor:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _start_worker()
        return _worker


def _drop_worker(worker: Executor) -> None:
    global _worker
    with _worker_lock:
        if _worker is worker:
            _worker = None


def _start_worker() -> Executor:
    """Forked, so the worker starts with the modules its parent has loaded (a Celery worker preloads GX)."""
    if multiprocessing.current_process().daemon:  # a daemonic process may not have children
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracehub-gx")
    fork = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=1, mp_context=fork, initializer=_in_worker)


def _in_worker() -> None:
    """The worker leaves what it inherited out of its own collections, so those pages stay shared,
    and ends with its parent, even one that ended without shutting it down (`os._exit`, a kill)."""
    gc.freeze()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), name="tracehub-gx-parent", daemon=True).start()


def _end_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _forget_worker() -> None:
    """A forked child has its own GX worker to start: the parent's answers to the parent."""
    global _worker, _worker_lock, _validated
    _worker, _worker_lock, _validated = None, threading.Lock(), False


os.register_at_fork(after_in_child=_forget_worker)
