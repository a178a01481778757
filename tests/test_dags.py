"""The Airflow side: the DAG folder imports cleanly and light, and a sync DAG runs with dag.test()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from platforms import running_platforms

from connectors.config import ENTITIES_BY_KIND
from simulators.world import generate_world
from trace_store import queries
from trace_store.store import Store

REPO = Path(__file__).resolve().parent.parent
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def airflow_db():
    """A migrated Airflow metadata DB (SQLite) in the throwaway AIRFLOW_HOME set by conftest."""
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)


def _dagbag(monkeypatch, sources: Path):
    monkeypatch.setenv("TRACEHUB_SOURCES", str(sources))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dagbag_imports_one_dag_per_configured_source(airflow_db, monkeypatch):
    bag = _dagbag(monkeypatch, REPO / "config" / "sources.yaml")
    assert bag.import_errors == {}
    config = yaml.safe_load((REPO / "config" / "sources.yaml").read_text())
    shops = {f"push_{s['name']}" for s in config["sources"] if s["kind"] == "shopify"}
    assert shops == {"push_shop"}
    assert set(bag.dag_ids) == {f"sync_{s['name']}" for s in config["sources"]} | shops | {
        "trace_maintenance",
        "tracehub_health",
    }
    push = bag.dags["push_shop"]
    assert [(t.task_id, t.pool, t.retries) for t in push.tasks] == [("push_fulfilments", "api_shop", 3)]
    for source in config["sources"]:
        dag = bag.dags[f"sync_{source['name']}"]
        assert {t.task_id for t in dag.tasks} == {f"sync_{e}" for e in source["entities"]}
        for task in dag.tasks:
            assert task.pool == f"api_{source['name']}"
            assert task.retries == 3


@pytest.mark.parametrize("dag_file", ["sync_sources.py", "push_tracking.py"])
def test_dag_file_parses_without_heavy_imports_or_network(tmp_path, dag_file):
    """Parse time stays light: no GX, pandas, SQLAlchemy store, HTTP client or write-back imported."""
    code = (
        "import runpy, sys, json; runpy.run_path(sys.argv[1]);"
        "print(json.dumps(sorted(m for m in ('great_expectations','pandas','requests','trace_store.store',"
        "'mappings','quality_checks','write_back') if m in sys.modules)))"
    )
    env = {**os.environ, "TRACEHUB_SOURCES": str(REPO / "config" / "sources.yaml"), "AIRFLOW_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(DAGS / dag_file)], env=env, check=True, capture_output=True, text=True
    ).stdout
    heavy = json.loads(out.strip().splitlines()[-1])
    assert not [m for m in heavy if m not in ("pandas", "requests")], heavy


def test_bad_sources_file_is_an_import_error_that_names_the_field(airflow_db, monkeypatch, tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  - name: shop\n    kind: shopify\n    base_url: ftp://nope\n    entities: [order]\n"
        "    credentials: {env: X}\n"
    )
    bag = _dagbag(monkeypatch, bad)
    message = " ".join(bag.import_errors.values())
    assert "source 'shop' field base_url" in message


@pytest.mark.slow
def test_sync_dag_runs_through_airflow(airflow_db, monkeypatch, tmp_path):
    world = generate_world(3, 0.3)
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(db_url).upgrade()  # the deploy step: tasks check the schema, they never migrate
    monkeypatch.setenv("TRACEHUB_DB_URL", db_url)
    with running_platforms(world, monkeypatch) as platforms:
        sources = tmp_path / "sources.yaml"
        configs = [c.model_dump(mode="json", exclude_none=True) for c in platforms.configs.values()]
        for config in configs:
            config["notify_customer"] = config["kind"] == "shopify"  # push_shop must honour it
        sources.write_text(yaml.safe_dump({"sources": configs}))
        bag = _dagbag(monkeypatch, sources)
        assert bag.import_errors == {}
        for dag_id in ("sync_erp", "sync_shop", "sync_warehouse", "push_shop"):
            run = bag.dags[dag_id].test()
            assert str(run.state).endswith("success"), dag_id
        made = platforms.servers["shop"].platform.fulfilments.fulfillments
        assert made, "push_shop told the shop what shipped"
        assert {f["notify_customer"] for f in made.values()} == {True}, "as the source's notify_customer says"
    store = Store.open(db_url)
    runs = queries.stats(store)["runs"]
    store.close()
    assert len(runs) == sum(len(ENTITIES_BY_KIND[config.kind]) for config in platforms.configs.values())
    assert all(r["status"] == "success" and r["loaded"] > 0 for r in runs), runs
