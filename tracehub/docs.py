"""GX Data Docs in a known place (`<TRACEHUB_HOME>/data_docs`), rebuilt after validation runs.

Validation results live in the memory of the process that ran them, so the docs are rebuilt at
the end of a sync or a replay in that process: once per run, never per batch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tracehub import settings

log = logging.getLogger(__name__)


def data_docs_dir() -> Path:
    return settings.home() / "data_docs"


def data_docs_index() -> Path:
    """Where index.html is (it exists once a sync or replay has validated something)."""
    return data_docs_dir() / "index.html"


def refresh_data_docs() -> Path | None:
    """Rebuild the Data Docs from this process's latest validation results; None if there are none.

    Docs are a convenience for stewards: a failure to write them is logged, never fails the run.
    """
    from quality_checks.gx_run import latest_results

    if not latest_results:
        return None
    from quality_checks.data_docs import build_data_docs

    try:
        return build_data_docs(data_docs_dir())
    except Exception:
        log.exception("could not write Data Docs to %s", data_docs_dir())
        return None
