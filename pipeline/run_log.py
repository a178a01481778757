"""Every log line written during a run names it: `[source/entity run N]`, from any module or library.

A run sets the context once; a log record factory stamps each record created while it is set
(the connector's retries, tenacity, the loader, GX), so one grep of a worker's log finds a run's
whole story. The record also carries `tracehub_source`, `tracehub_entity` and `tracehub_run_id`
for handlers that keep structured fields.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_current: contextvars.ContextVar[tuple[str, str, int] | None] = contextvars.ContextVar("tracehub_run", default=None)
_installed = False


@contextmanager
def run_context(source: str, entity: str, run_id: int) -> Iterator[None]:
    """Stamp every log record created in this context (and in `in_context` calls) with the run."""
    _install()
    token = _current.set((source, entity, run_id))
    try:
        yield
    finally:
        _current.reset(token)


def in_context(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` bound to the current context, for work handed to another thread."""
    context = contextvars.copy_context()
    return lambda *args, **kwargs: context.run(function, *args, **kwargs)


def _install() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        run = _current.get()
        if run is not None:
            record.tracehub_source, record.tracehub_entity, record.tracehub_run_id = run
            record.msg = f"[{run[0]}/{run[1]} run {run[2]}] {record.msg}"
        return record

    logging.setLogRecordFactory(stamped)
    _installed = True
