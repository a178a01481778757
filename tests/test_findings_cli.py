"""`tracehub findings` as a user runs it: refresh, table, JSON filters and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from plant import GTIN, device, load, lot, order, shipment

REPO = Path(__file__).resolve().parent.parent


def tracehub(store, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEHUB_DB_URL": store.engine.url.render_as_string(hide_password=False), "COLUMNS": "200"}
    env.pop("TRACEHUB_WEBHOOK_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tracehub", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=120
    )


def test_findings_cli_refreshes_lists_and_filters(store):
    load(store, device(list_price="10"), lot("L1", expiry=date(2024, 1, 1)))
    load(store, order("SO-1", [("TH-A-1", 1, "50")]))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))

    table = tracehub(store, "findings", "--refresh")
    assert table.returncode == 0, table.stderr
    assert "findings: 2 opened, 0 resolved, 0 still open" in table.stdout
    assert "expired_lot_shipped" in table.stdout and "price_outside_tolerance" in table.stdout

    only = json.loads(tracehub(store, "findings", "--json", "--rule", "expired_lot_shipped").stdout)
    assert [(f["rule"], f["severity"], f["key"]) for f in only] == [
        ("expired_lot_shipped", "critical", f"warehouse|S1|{GTIN}|L1")
    ]
    assert json.loads(tracehub(store, "findings", "--json", "--status", "resolved").stdout) == []

    bad = tracehub(store, "findings", "--status", "closed")
    assert bad.returncode == 1 and "finding status 'closed' is not one of open, resolved, all" in bad.stderr
    assert "Traceback" not in bad.stderr
