"""Imported once by each Celery worker at start (see pipeline/celery_config.py), never by a DAG file.

The modules a sync task needs, with Great Expectations and our custom expectations registered, so
that the processes forked for tasks start with them loaded.
"""

from __future__ import annotations

import great_expectations  # noqa: F401

import quality_checks.expectations  # noqa: F401  (registers the custom expectations with GX)
from connectors import registry  # noqa: F401
from pipeline import runner  # noqa: F401
from quality_checks import validation  # noqa: F401
