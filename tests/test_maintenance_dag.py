"""The `trace_maintenance` DAG: scheduled on the sync DAGs' Asset events, it refreshes findings.

Real Airflow: DagBag import, `dag.test()` against a small store, and the Asset events a sync
DAG run records in Airflow's metadata database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from plant import GTIN, device, load, lot, order, shipment
from platforms import running_platforms
from test_dags import _dagbag, airflow_db  # noqa: F401 - the migrated Airflow DB fixture

from connectors.config import ENTITIES_BY_KIND
from simulators.world import generate_world
from trace_store.store import Store
from traceability.findings import list_findings

REPO = Path(__file__).resolve().parent.parent
ENTITIES = {e for kind in ENTITIES_BY_KIND.values() for e in kind}


def test_maintenance_dag_imports_and_is_scheduled_on_every_entity_asset(airflow_db, monkeypatch):  # noqa: F811
    bag = _dagbag(monkeypatch, REPO / "config" / "sources.yaml")
    assert bag.import_errors == {}
    dag = bag.dags["trace_maintenance"]
    condition = dag.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"  # any entity's update triggers a refresh
    assert {a.uri for a in condition.objects} == {f"tracehub://store/{e}" for e in ENTITIES}
    assert [t.task_id for t in dag.tasks] == ["refresh_findings", "reconcile"]
    for dag_id in bag.dag_ids:
        if dag_id.startswith("sync_"):
            for task in bag.dags[dag_id].tasks:
                entity, source = task.task_id.removeprefix("sync_"), dag_id.removeprefix("sync_")
                # the entity's asset is added through this alias only when the sync loaded something
                assert [o.name for o in task.outlets] == [f"tracehub-changes-{source}-{entity}"]


def test_maintenance_dag_file_parses_without_heavy_imports(tmp_path):
    code = (
        "import runpy, sys, json; runpy.run_path(sys.argv[1]);"
        "print(json.dumps(sorted(m for m in ('great_expectations','pandas','requests','trace_store.store',"
        "'traceability.findings','traceability.webhook','sqlalchemy') if m in sys.modules)))"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "dags" / "trace_maintenance.py")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    heavy = json.loads(out.strip().splitlines()[-1])
    assert not [m for m in heavy if m not in ("pandas", "requests", "sqlalchemy")], heavy


@pytest.mark.slow
def test_maintenance_dag_run_records_findings_and_notifies(airflow_db, monkeypatch, tmp_path):  # noqa: F811
    from test_findings_webhook import receiving

    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(db_url)
    store.upgrade()
    load(store, device(list_price="10"), lot("L1", expiry=date(2024, 1, 1)))
    load(store, order("SO-1", [("TH-A-1", 1, "10")]))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))
    monkeypatch.setenv("TRACEHUB_DB_URL", db_url)
    with receiving(failures=1) as receiver:
        monkeypatch.setenv("TRACEHUB_WEBHOOK_URL", receiver.url)
        run = _dagbag(monkeypatch, REPO / "config" / "sources.yaml").dags["trace_maintenance"].test()
        assert str(run.state).endswith("success")
        assert [f["rule"] for f in receiver.delivered()] == ["expired_lot_shipped"]
    [found] = list_findings(store)
    store.close()
    assert found["rule"] == "expired_lot_shipped" and found["notified_at"] is not None


def asset_events() -> list[str]:
    """The URIs of every Asset event in the Airflow metadata DB, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = session.query(AssetModel.uri).join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
        return [uri for (uri,) in query.order_by(AssetEvent.id).all()]


@pytest.mark.slow
def test_a_sync_dag_run_emits_an_asset_event_per_changed_entity_only(airflow_db, monkeypatch, tmp_path):  # noqa: F811
    world = generate_world(3, 0.1)
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(db_url).upgrade()  # the deploy step: tasks check the schema, they never migrate
    monkeypatch.setenv("TRACEHUB_DB_URL", db_url)
    with running_platforms(world, monkeypatch) as platforms:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [platforms.configs["shop"].model_dump(mode="json")]}))
        dag = _dagbag(monkeypatch, sources).dags["sync_shop"]
        before = len(asset_events())
        assert str(dag.test().state).endswith("success")
        first = asset_events()[before:]
        assert str(dag.test().state).endswith("success")  # nothing changed on the platform
        second = asset_events()[before + len(first) :]
    assert first == ["tracehub://store/variant", "tracehub://store/order"]
    assert second == [], "a sync that loaded nothing starts no maintenance"
