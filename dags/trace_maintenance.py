"""Airflow DAG file: `trace_maintenance`, run on the Asset events of the sync DAGs."""

from tracehub.dag_factory import MAINTENANCE_DAG_ID, build_maintenance_dag

globals()[MAINTENANCE_DAG_ID] = build_maintenance_dag()
