"""Airflow DAG file: one `sync_<source>` DAG per entry of the sources file (TRACEHUB_SOURCES)."""

from tracehub.dag_factory import build_all

globals().update(build_all())
