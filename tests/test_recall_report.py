"""Recall report outputs (table, CSV, JSON, HTML with SVG) agree with each other; the CLI end to end."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from commands import tracehub
from markupsafe import escape
from platforms import running_platforms, sync_all

from simulators.world import expected_genealogy, generate_world
from trace_store.store import Store
from traceability import recall
from tracehub.recall_report import render


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 0.4)


def widest_component(world) -> tuple[str, str]:
    """The component lot whose recall reaches the most customers (several lots, some inferred)."""
    forward = expected_genealogy(world)["forward"]
    key = max(sorted(forward), key=lambda k: (len(forward[k]["customers"]), len(forward[k]["finished"])))
    gtin, lot = key.split("|", 1)
    return gtin, lot


def test_csv_json_html_and_table_state_the_same_figures(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    gtin, lot = widest_component(world)
    report = recall.impact(store, recall.create_recall(store, gtin, [lot], reason="Cannula <burr> & crack", actor="qa"))
    assert len(report.consignees) >= 2 and len(report.lots) >= 2

    data = json.loads(render(report, "json"))
    assert data == report.as_dict()
    assert Decimal(data["totals"]["shipped"]) == sum(c.shipped for c in report.consignees) > 0

    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    shipped: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert row["recall_id"] == str(report.recall.recall_id)
        if row["record"] == "delivery":
            shipped[row["consignee"]] += Decimal(row["qty"])
    assert shipped == {c["name"]: Decimal(c["shipped"]) for c in data["consignees"] if c["deliveries"]}
    balance = {(r["gtin"], r["lot"]): r for r in rows if r["record"] == "mass_balance"}
    assert set(balance) == {(m["gtin"], m["lot"]) for m in data["mass_balance"]}
    for m in data["mass_balance"]:
        for name in ("produced", "shipped", "returned", "on_hand", "scrapped", "unaccounted"):
            assert balance[(m["gtin"], m["lot"])][name] == (m[name] or "")
    stock = sum(Decimal(r["on_hand"]) for r in rows if r["record"] == "stock")
    assert stock == Decimal(data["totals"]["on_hand"])
    contact = {r["consignee"]: (r["email"], r["phone"]) for r in rows if r["record"] == "delivery"}
    assert all(email.endswith(".example") and phone.startswith("+86") for email, phone in contact.values())

    page = render(report, "html")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</svg>" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert page.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 0
    assert "Cannula &lt;burr&gt; &amp; crack" in page and "<burr>" not in page
    for c in data["consignees"]:
        assert escape(c["name"]) in page
    for affected in data["lots"]:
        assert affected["key"] in page
    if any(lot["confidence"] == "inferred" for lot in data["lots"]):
        assert 'stroke-dasharray="5 4"' in page

    text = render(report, "table")
    assert f"recall {report.recall.recall_id}" in text
    assert all(c.name.split()[0] in text for c in report.consignees)
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render(report, "pdf")


def test_cli_create_list_show_and_refusals(tmp_path, world, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    store.upgrade()
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    store.close()
    env = {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path)}
    gtin, lot = widest_component(world)

    page = tmp_path / "recall.html"
    done = tracehub(
        "recall", "create", "--gtin", gtin, "--lot", lot, "--reason", "burr", "--actor", "carol",
        "--format", "html", "--output", str(page), env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "recorded recall 1" in done.stderr and "<svg" in page.read_text(encoding="utf-8")

    listed = json.loads(tracehub("recall", "list", "--json", env=env).stdout)
    assert [(r["recall_id"], r["created_by"], r["status"]) for r in listed] == [(1, "carol", "open")]
    assert listed[0]["items"] == [{"gtin": gtin, "lot": lot, "serial": None}]

    shown = tracehub("recall", "show", "1", "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["recall"]["recall_id"] == 1 and data["consignees"]
    table = tracehub("recall", "show", "1", env=env)
    assert table.returncode == 0 and "mass balance" in table.stdout
    out = tmp_path / "recall.csv"
    assert tracehub("recall", "show", "1", "--format", "csv", "-o", str(out), env=env).returncode == 0
    assert out.read_text(encoding="utf-8").startswith("record,recall_id,consignee")

    bad = tracehub("recall", "create", "--gtin", gtin, "--lot", "NOPE", "--reason", "x", env=env)
    assert bad.returncode == 1 and "no lot 'NOPE'" in bad.stderr and "nothing was recorded" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = tracehub("recall", "show", "7", env=env)
    assert missing.returncode == 1 and "no recall 7" in missing.stderr and "Traceback" not in missing.stderr
