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
    assert "findings: 2 opened, 0 resolved, 2 open now" in table.stdout
    assert "expired_lot_shipped" in table.stdout and "price_outside_tolerance" in table.stdout
    assert f"lot L1 of {GTIN} expired 2024-01-01, shipped in shipment S1 (order SO-1)" in table.stdout

    only = json.loads(findings_cli(store, "findings", "--json", "--rule", "expired_lot_shipped").stdout)
    assert [(f["rule"], f["severity"], f["key"]) for f in only] == [
        ("expired_lot_shipped", "critical", f"warehouse|S1|{GTIN}|L1")
    ]
    assert json.loads(findings_cli(store, "findings", "--json", "--status", "resolved").stdout) == []

    bad = findings_cli(store, "findings", "--status", "closed")
    assert bad.returncode == 1 and "finding status 'closed' is not one of open, resolved, all" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_findings_cli_acknowledges_and_resolves_with_a_note_audited(store):
    load(store, lot("L1", expiry=date(2024, 1, 1)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))
    assert findings_cli(store, "findings", "--refresh").returncode == 0
    (found,) = json.loads(findings_cli(store, "findings", "--json").stdout)
    fid = str(found["id"])

    no_note = findings_cli(store, "findings", "ack", fid, "--note", "  ", "--actor", "sam")
    assert no_note.returncode == 1 and "a reason is required" in no_note.stderr

    acked = findings_cli(store, "findings", "ack", fid, "--note", "asked the 3PL to hold returns", "--actor", "sam")
    assert acked.returncode == 0, acked.stderr
    assert f"finding {fid} (expired_lot_shipped) acknowledged by sam" in acked.stdout
    note = "customer called, units destroyed"
    done = findings_cli(store, "findings", "resolve", fid, "--note", note, "--actor", "sam")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(findings_cli(store, "findings", "--json", "--status", "resolved").stdout)
    assert (row["acknowledged_by"], row["acknowledge_note"]) == ("sam", "asked the 3PL to hold returns")
    assert (row["resolved_by"], row["resolve_note"]) == ("sam", "customer called, units destroyed")

    again = findings_cli(store, "findings", "resolve", fid, "--note", "twice", "--actor", "sam")
    assert again.returncode == 1 and f"finding {fid} is already resolved; nothing changed" in again.stderr
    audit = json.loads(findings_cli(store, "audit", "log", "--entity", "finding", "--json").stdout)
    assert [(a["action"], a["key"], a["details"]["note"]) for a in audit] == [
        ("finding_resolve", fid, "customer called, units destroyed"),
        ("finding_acknowledge", fid, "asked the 3PL to hold returns"),
    ]
