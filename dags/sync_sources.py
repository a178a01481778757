"""Airflow DAG file: one `sync_<source>` DAG per entry of the sources file (TRACEHUB_SOURCES)."""

from pipeline.dags import build_all

globals().update(build_all())
