"""Airflow DAG file: `trace_maintenance`, run on the Asset events of the sync DAGs."""

from pipeline.dags import MAINTENANCE_DAG_ID, build_maintenance_dag

globals()[MAINTENANCE_DAG_ID] = build_maintenance_dag()
