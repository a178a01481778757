"""`tracehub findings` as a user runs it: refresh, table, JSON filters and clear errors."""

from __future__ import annotations

import json
import subprocess
from datetime import date

from commands import tracehub
from plant import GTIN, device, load, lot, order, shipment


def findings_cli(store, *args: str) -> subprocess.CompletedProcess[str]:
    url = store.engine.url.render_as_string(hide_password=False)
    return tracehub(*args, env={"TRACEHUB_DB_URL": url, "TRACEHUB_WEBHOOK_URL": ""})


def test_findings_cli_refreshes_lists_and_filters(store):
    load(store, device(list_price="10"), lot("L1", expiry=date(2024, 1, 1)))
    load(store, order("SO-1", [("TH-A-1", 1, "50")]))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))

    table = findings_cli(store, "findings", "--refresh")
    assert table.returncode == 0, table.stderr
    assert "findings: 2 opened, 0 resolved, 0 still open" in table.stdout
    assert "expired_lot_shipped" in table.stdout and "price_outside_tolerance" in table.stdout

    only = json.loads(findings_cli(store, "findings", "--json", "--rule", "expired_lot_shipped").stdout)
    assert [(f["rule"], f["severity"], f["key"]) for f in only] == [
        ("expired_lot_shipped", "critical", f"warehouse|S1|{GTIN}|L1")
    ]
    assert json.loads(findings_cli(store, "findings", "--json", "--status", "resolved").stdout) == []

    bad = findings_cli(store, "findings", "--status", "closed")
    assert bad.returncode == 1 and "finding status 'closed' is not one of open, resolved, all" in bad.stderr
    assert "Traceback" not in bad.stderr
