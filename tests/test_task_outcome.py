"""Airflow tasks sort errors once: permanent ones fail at once, waits reschedule, the rest retry."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException
from platforms import running_platforms, token_env
from test_dags import _dagbag, airflow_db  # noqa: F401 - the migrated Airflow DB fixture
from test_findings_webhook import receiving

from connectors.config import ConfigError
from connectors.errors import AuthError, DeferSync, PlatformError, RetriesExhausted
from pipeline.dags import BUSY_RETRY, outcome
from simulators.world import generate_world
from trace_store.errors import SchemaNotCurrent, SyncInProgress
from trace_store.store import Store


@pytest.mark.parametrize(
    "error",
    [
        ConfigError("source 'shop': base_url 'http://' has no host"),
        AuthError("shop", "shop: the platform refused the token"),
        PlatformError("erp", "erp: unknown field", status=400, platform_message="unknown field"),
        SchemaNotCurrent("the trace store is at revision 0006, this Tracehub needs 0007"),
        LookupError("unknown source 'nope'"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_permanent_error_fails_the_task_without_retries(error):
    with pytest.raises(AirflowFailException, match=type(error).__name__) as failed, outcome():
        raise error
    assert str(error) in str(failed.value)


def test_a_platform_asking_to_wait_reschedules_after_its_pause():
    with pytest.raises(AirflowRescheduleException) as later, outcome():
        raise DeferSync("warehouse", "ShipBob asked for 600 s", retry_after=600)
    expected = datetime.now(UTC) + timedelta(seconds=600)
    assert abs((later.value.reschedule_date - expected).total_seconds()) < 5


def test_a_live_run_of_the_same_entity_reschedules_instead_of_waiting_in_a_slot():
    with pytest.raises(AirflowRescheduleException) as later, outcome():
        raise SyncInProgress("shop", "order", "run 7, started 2026-11-30 01:00:00 UTC")
    expected = datetime.now(UTC) + BUSY_RETRY
    assert abs((later.value.reschedule_date - expected).total_seconds()) < 5


def test_a_transient_error_is_left_to_the_task_retries():
    exhausted = RetriesExhausted("shop", "gave up", endpoint="/orders.json", attempts=6, last_error="HTTP 503")
    with pytest.raises(RetriesExhausted), outcome():
        raise exhausted


@pytest.mark.slow
@pytest.mark.parametrize("case", ["wrong token", "store not migrated"])
def test_a_sync_dag_with_a_permanent_error_fails_at_once(airflow_db, monkeypatch, tmp_path, case):  # noqa: F811
    """Through real Airflow: one try, no retry delay, the task failed in seconds, not minutes."""
    from airflow.utils.state import TaskInstanceState

    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    if case != "store not migrated":
        Store.open(db_url).upgrade()
    monkeypatch.setenv("TRACEHUB_DB_URL", db_url)
    with running_platforms(generate_world(3, 0.1), monkeypatch) as platforms:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [platforms.configs["shop"].model_dump(mode="json")]}))
        if case == "wrong token":
            monkeypatch.setenv(token_env("shop"), "not-the-token")
        dag = _dagbag(monkeypatch, sources).dags["sync_shop"]
        with receiving() as receiver:
            monkeypatch.setenv("TRACEHUB_WEBHOOK_URL", receiver.url)
            started = time.monotonic()
            run = dag.test()
            elapsed = time.monotonic() - started
    first = run.get_task_instance("sync_variant")
    assert first.state == TaskInstanceState.FAILED and first.try_number == 1
    assert str(run.state).endswith("failed")
    assert elapsed < 60, f"{case}: failed after {elapsed:.1f} s"
    print(f"{case}: DAG run failed after {elapsed:.1f} s")
    if case == "wrong token":  # the failure notifier raised one alert (a store without schema cannot hold one)
        [body] = [json.loads(r["body"]) for r in receiver.requests]
        assert (body["status"], body["alert"]["kind"], body["alert"]["entity"]) == ("opened", "sync_failed", "variant")
        assert "AuthError" in body["alert"]["details"]["error"]
