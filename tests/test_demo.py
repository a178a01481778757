"""`tracehub demo` twice on a fresh home: the second run loads nothing and leaves the store unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from world_defects import planted_quarantine

from trace_store import queries
from trace_store.store import Store

REPO = Path(__file__).resolve().parent.parent


def _demo(home: Path, *options: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TRACEHUB_"))}
    env.update(TRACEHUB_HOME=str(home), COLUMNS="160")
    done = subprocess.run(
        [sys.executable, "-m", "tracehub", "demo", "--seed", "3", "--scale", "0.3", *options],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_demo_runs_through_airflow_and_is_idempotent(tmp_path):
    first = _demo(tmp_path)
    for dag_id in ("sync_erp", "sync_shop", "sync_warehouse"):
        assert f"Airflow DAG {dag_id}: success" in first.replace("DagRunState.SUCCESS", "success")
    assert "open quarantine by rule" in first and "units to" in first
    world = tmp_path / "world"
    assert {p.name for p in world.iterdir()} >= {"world.json", "ground_truth.json", "defect_plan.json"}

    store = Store.open(f"sqlite:///{tmp_path / 'tracehub.db'}")
    before = queries.dump(store)
    plan = json.loads((world / "defect_plan.json").read_text())
    assert queries.quarantine_by_rule(store), "defects were quarantined"
    assert len(queries.quarantine_rows(store)) == sum(1 for d in plan if d["expect"] == "quarantine")

    _demo(tmp_path)
    assert queries.dump(store) == before
    latest = queries.stats(store)["runs"]
    assert latest and all(r["loaded"] == 0 and r["quarantined"] == 0 and r["status"] == "success" for r in latest)
    store.close()


@pytest.mark.slow
def test_the_woocommerce_erpnext_csv_world_runs_through_airflow_and_is_idempotent(tmp_path):
    first = _demo(tmp_path, "--world", "woo-erpnext-csv").replace("DagRunState.SUCCESS", "success")
    for dag_id in ("sync_erp", "sync_shop", "sync_warehouse", "trace_maintenance"):
        assert f"Airflow DAG {dag_id}: success" in first
    assert "simulated erpnext" in first and "simulated woocommerce" in first and "simulated drop" in first
    assert "units to" in first, "a lot the ground truth says shipped is traced"

    store = Store.open(f"sqlite:///{tmp_path / 'tracehub.db'}")
    before = queries.dump(store)
    plan = json.loads((tmp_path / "world" / "defect_plan.json").read_text())
    held = [(q["source"], q["entity"], f["rule"]) for q in queries.quarantine_rows(store) for f in q["failures"]]
    assert sorted(held) == sorted(planted_quarantine("woo-erpnext-csv", plan).elements())

    _demo(tmp_path, "--world", "woo-erpnext-csv")
    assert queries.dump(store) == before
    latest = queries.stats(store)["runs"]
    assert {r["source"] for r in latest} == {"erp", "shop", "warehouse"}
    assert all(r["loaded"] == 0 and r["quarantined"] == 0 and r["status"] == "success" for r in latest)
    store.close()
