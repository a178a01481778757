"""`tracehub recall` create / close / show --lang and `tracehub drill` as a person runs them: new processes."""

from __future__ import annotations

import json

import pytest
from commands import tracehub
from test_recall_lifecycle import shipped_lot
from webconsole import fill_store

from trace_store.store import Store


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    url = f"sqlite:///{home / 'store.db'}"
    store = Store.open(url)
    store.upgrade()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRACEHUB_HOME", str(home))
        fill_store(store, monkeypatch)
    lot = shipped_lot(store)
    store.close()
    return {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(home), "TRACEHUB_TIMEZONE": "Asia/Shanghai"}, lot, home


def test_a_duplicate_needs_allow_duplicate_and_a_recall_closes_once(env):
    variables, (gtin, lot), home = env
    create = ("recall", "create", "--gtin", gtin, "--lot", lot, "--reason", "burr", "--actor", "carol")
    assert tracehub(*create, env=variables).returncode == 0
    again = tracehub(*create, env=variables)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert f"already under an open recall: {gtin} lot {lot} in recall 1" in again.stderr
    assert "nothing was recorded" in again.stderr and "--allow-duplicate" in again.stderr
    assert tracehub(*create, "--allow-duplicate", env=variables).returncode == 0

    closed = tracehub("recall", "close", "1", "--reason", "all units returned", "--actor", "dora", env=variables)
    assert closed.returncode == 0 and "closed recall 1 by dora" in closed.stderr
    twice = tracehub("recall", "close", "1", "--reason", "again", env=variables)
    assert twice.returncode == 1 and "already closed" in twice.stderr and "nothing changed" in twice.stderr
    listed = {r["recall_id"]: r for r in json.loads(tracehub("recall", "list", "--json", env=variables).stdout)}
    assert (listed[1]["status"], listed[1]["closed_by"], listed[1]["close_reason"]) == (
        "closed",
        "dora",
        "all units returned",
    )
    assert listed[2]["status"] == "open"
    table = tracehub("recall", "list", env=variables).stdout
    assert "CST" in table, "times in the store's zone"

    out = home / "consignees.csv"
    shown = tracehub("recall", "show", "2", "--format", "consignees", "--lang", "zh", "-o", str(out), env=variables)
    assert shown.returncode == 0, shown.stderr
    assert out.read_text(encoding="utf-8").startswith("\ufeff收货方,角色,地区,联系人")
    page = home / "report.html"
    assert (
        tracehub("recall", "show", "2", "--format", "html", "--lang", "zh", "-o", str(page), env=variables).returncode
        == 0
    )
    assert '<html lang="zh-Hans">' in page.read_text(encoding="utf-8") and "物料平衡" in page.read_text(
        encoding="utf-8"
    )


def test_drill_reports_each_step_and_records_no_recall(env):
    variables, _, home = env
    before = json.loads(tracehub("recall", "list", "--json", env=variables).stdout)
    done = tracehub("drill", "--seed", "7", "--out", str(home / "drills"), "--json", "--actor", "qa", env=variables)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    steps = ["process start", "open store", "find lot", "impact", "consignees", "report written"]
    assert [s["name"] for s in result["steps"]] == steps
    assert 0 < result["seconds_to_consignees"] <= result["seconds_total"]
    assert all((home / "drills").joinpath(f).exists() for f in result["files"])
    assert json.loads(tracehub("recall", "list", "--json", env=variables).stdout) == before
    shown = tracehub(
        "drill", "--lot", result["lot"], "--gtin", result["gtin"], "--out", str(home / "drills"), env=variables
    )
    assert shown.returncode == 0 and "consignee list complete after" in shown.stdout
    missing = tracehub("drill", "--lot", "NO-SUCH-LOT", env=variables)
    assert missing.returncode == 1 and "no lot 'NO-SUCH-LOT'" in missing.stderr and "Traceback" not in missing.stderr
