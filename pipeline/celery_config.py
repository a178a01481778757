"""Celery settings for Tracehub's workers: Airflow's own, plus the modules every sync task needs.

Airflow runs each task in a process forked from the Celery worker, so what the worker imported at
start is there for free in every task. Importing Great Expectations takes about five seconds here,
most of a first task's time; done once per worker, it is paid once, not by every task that
validates. Select it with AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=pipeline.celery_config.CELERY_CONFIG.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "imports": ("pipeline.preload",)}
