"""Airflow DAG file: one `push_<source>` DAG per shop source, tracking numbers back to the shop."""

from pipeline.dags import build_push_all

globals().update(build_push_all())
