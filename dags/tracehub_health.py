"""Airflow DAG file: `tracehub_health`, which opens and resolves operational alerts on a schedule."""

from pipeline.dags import HEALTH_DAG_ID, build_health_dag

globals()[HEALTH_DAG_ID] = build_health_dag()
