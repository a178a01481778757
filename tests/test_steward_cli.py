"""The steward's commands as a user runs them: subprocesses, their output and exit codes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from commands import tracehub
from steward_world import defect_ids, order_world, sync_orders, write_rmb_fix

import steward
from simulators.world import generate_world
from trace_store.schema import app_user, audit_log
from trace_store.store import Store


def store_env(store: Store, tmp_path: Path) -> dict[str, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    return {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path / "home"), "TRACEHUB_ACTOR": "dana"}


def test_audit_verify_names_any_edited_row(store, make, tmp_path):
    env = store_env(store, tmp_path)
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment("S1", [make.line(1)])], quarantined=[("S2", make.T0, [])]))
    steward.add_user(store, "erin", "a long password", "steward", actor="admin")
    steward.set_user_disabled(store, "erin", True, actor="admin")
    entries = steward.audit_entries(store)
    assert len(entries) == 3

    ok = tracehub("audit", "verify", env=env)
    assert ok.returncode == 0 and "3 entries verified" in ok.stdout, ok.stderr

    edits = ["actor = 'mallory'", "action = 'nothing'", "\"key\" = 'other'", "hash = 'f00d'", "prev_hash = 'f00d'"]
    for seq in (1, 2, 3):
        for edit in edits:
            with store.transaction() as conn:
                original = conn.execute(sa.select(audit_log).where(audit_log.c.seq == seq)).one()._asdict()
                conn.exec_driver_sql(f"UPDATE audit_log SET {edit} WHERE seq = {seq}")
            result = steward.verify_audit(store)
            assert (result.ok, result.broken_seq) == (False, seq), (seq, edit)
            if seq == 2 and edit == edits[0]:
                broken = tracehub("audit", "verify", env=env)
                assert broken.returncode == 1
                assert "broken at entry 2" in broken.stderr and "changed after it was written" in broken.stderr
                assert "Traceback" not in broken.stderr
            with store.transaction() as conn:
                conn.execute(audit_log.update().where(audit_log.c.seq == seq).values(**original))
            assert steward.verify_audit(store).ok

    with store.transaction() as conn:  # a JSON detail edited in place is caught too
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(details={"role": "admin"}))
    broken = tracehub("audit", "verify", env=env)
    assert broken.returncode == 1 and "entry 2" in broken.stderr

    log = json.loads(tracehub("audit", "log", "--entity", "user", "--key", "erin", "--json", env=env).stdout)
    assert [e["action"] for e in log] == ["user.disable", "user.add"]


def test_users_add_reads_the_password_without_echoing_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path)}
    secret = "Tr0ub4dor&3-secret"
    done = tracehub("users", "add", "frank", "--role", "admin", "--password-stdin", env=env, stdin=secret + "\n")
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    listed = json.loads(tracehub("users", "list", "--json", env=env).stdout)
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [("frank", "admin", False)]
    store = Store.open(url)
    try:
        with store.connect() as conn:
            assert conn.execute(sa.select(app_user.c.password_hash)).scalar_one().startswith("$argon2id$")
        assert steward.authenticate(store, "frank", secret) == {"username": "frank", "role": "admin"}
    finally:
        store.close()
    bad = tracehub("users", "add", "gina", "--role", "owner", "--password-stdin", env=env, stdin=secret + "\n")
    assert bad.returncode == 1 and "unknown role 'owner'" in bad.stderr and "Traceback" not in bad.stderr

    fresh = "an-entirely-new-secret"
    assert tracehub("users", "role", "frank", "steward", env=env).returncode == 0
    done = tracehub("users", "password", "frank", "--password-stdin", env=env, stdin=fresh + "\n")
    assert done.returncode == 0 and fresh not in done.stdout + done.stderr
    store = Store.open(url)
    try:
        assert steward.authenticate(store, "frank", fresh) == {"username": "frank", "role": "steward"}
        from steward import sessions

        for n in range(sessions.ACCOUNT.lock_failures):
            sessions.record_failure(store, "frank", f"192.0.2.{n}")
        assert "frank" in sessions.locked_accounts(store)
        assert "failures of frank cleared" in tracehub("users", "unlock", "frank", env=env).stdout
        assert sessions.locked_accounts(store) == {}
    finally:
        store.close()


def test_map_dry_run_prints_records_or_every_error_and_never_touches_the_store(tmp_path):
    world = generate_world(5, 0.3)
    env = {"TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'never.db'}", "TRACEHUB_HOME": str(tmp_path / "home")}
    good = world.shopify_orders[0]
    good_file = tmp_path / "good.json"
    good_file.write_text(json.dumps(good))
    done = tracehub("map", "--kind", "shopify", "--entity", "order", "--payload", str(good_file), env=env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout[done.stdout.index("[") :])[0]
    assert record["order_number"] == good["name"].lstrip("#") and record["source"] == "shopify"

    broken_date = {**good, "created_at": "31/02/2026"}
    bad_values = {**good, "currency": "RMB", "line_items": [{**good["line_items"][0], "quantity": 0}]}
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps([broken_date, bad_values]))
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {
                        "name": "shop",
                        "kind": "shopify",
                        "base_url": "http://127.0.0.1:9",
                        "entities": ["order"],
                        "credentials": {"env": "UNUSED_TOKEN"},
                    }
                ]
            }
        )
    )
    done = tracehub(
        "map",
        "--source",
        "shop",
        "--config",
        str(sources),
        "--entity",
        "order",
        "--payload",
        str(bad_file),
        "--json",
        env=env,
    )
    assert done.returncode == 1, done.stderr
    first, second = json.loads(done.stdout)["results"]
    assert [(f["rule"], f["field"]) for f in first["failures"]] == [("mapping", "created_at")]
    assert {(f["rule"], f["field"]) for f in second["failures"]} == {
        ("currency_iso4217", "currency"),
        ("qty_positive", "lines[0].qty"),
    }
    assert not (tmp_path / "never.db").exists()

    not_json = tmp_path / "x.json"
    not_json.write_text("{nope")
    done = tracehub("map", "--kind", "shopify", "--entity", "order", "--payload", str(not_json), env=env)
    assert done.returncode != 0 and "not JSON" in done.stderr and "Traceback" not in done.stderr
    done = tracehub("map", "--kind", "magento", "--entity", "order", "--payload", str(good_file), env=env)
    assert done.returncode == 1 and "no mapping for magento/order" in done.stderr


def test_quarantine_commands_end_to_end(tmp_path, monkeypatch):
    world = order_world()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    store.upgrade()
    sync_orders(world, store, monkeypatch)
    store.close()
    env = {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path / "home"), "TRACEHUB_ACTOR": "dana"}

    rows = json.loads(tracehub("quarantine", "list", "--rule", "qty_positive", "--json", env=env).stdout)
    assert {r["external_id"] for r in rows} == defect_ids(world, "non_positive_quantity")
    first, second = sorted(r["id"] for r in rows)
    shown = json.loads(tracehub("quarantine", "show", str(first), "--json", env=env).stdout)
    assert shown["payload"] and shown["mapped"] and shown["rules"] == ["qty_positive"]

    done = tracehub("quarantine", "accept", str(first), "--reason", "free sample, confirmed", env=env)
    assert done.returncode == 0 and "accepted" in done.stdout, done.stderr
    done = tracehub("quarantine", "reject", str(second), "--reason", "<script>x</script>", "--actor", "eve", env=env)
    assert done.returncode == 1 and "markup" in done.stderr and "Traceback" not in done.stderr
    done = tracehub("quarantine", "reject", str(second), "--reason", "duplicate order", "--actor", "eve", env=env)
    assert done.returncode == 0, done.stderr

    fixed = {**env, "TRACEHUB_MAPPINGS_DIR": str(write_rmb_fix(tmp_path / "fix"))}
    done = tracehub("quarantine", "replay", "--source", "shop", env=fixed)
    assert done.returncode == 0, done.stderr
    assert "replayed 4: 2 now pass and loaded, 2 still fail" in done.stdout
    docs = tracehub("docs", env=env)
    assert docs.returncode == 0 and str(tmp_path / "home" / "data_docs" / "index.html") in docs.stdout

    listed = json.loads(tracehub("quarantine", "list", "--status", "all", "--json", env=env).stdout)
    assert Counter(r["status"] for r in listed) == {"open": 2, "replayed": 2, "accepted": 1, "rejected": 1}
    log = json.loads(tracehub("audit", "log", "--actor", "eve", "--json", env=env).stdout)
    assert [(e["action"], e["details"]["reason"]) for e in log] == [("quarantine.reject", "duplicate order")]
    bogus = tracehub("quarantine", "list", "--status", "bogus", env=env)
    assert bogus.returncode == 1 and "unknown status 'bogus'" in bogus.stderr


@pytest.mark.slow  # several subprocesses over a synced world
def test_quarantine_correct_from_the_command_line(tmp_path, monkeypatch):
    world = order_world()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url)
    store.upgrade()
    sync_orders(world, store, monkeypatch)
    store.close()
    env = {"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path / "home"), "TRACEHUB_ACTOR": "dana"}
    rows = json.loads(tracehub("quarantine", "list", "--rule", "qty_positive", "--json", env=env).stdout)
    qid = min(r["id"] for r in rows)
    path = next(f["field"] for f in rows[0 if rows[0]["id"] == qid else 1]["failures"] if f["rule"] == "qty_positive")

    refused = tracehub("quarantine", "correct", str(qid), f"{path}=-3", "--reason", "typo at the shop", env=env)
    assert refused.returncode == 1 and "qty_positive" in refused.stdout + refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    malformed = tracehub("quarantine", "correct", str(qid), "qty", "--reason", "typo at the shop", env=env)
    assert malformed.returncode == 1 and "FIELD=VALUE" in malformed.stderr

    done = tracehub("quarantine", "correct", str(qid), f"{path}=3", "--reason", "typo at the shop", env=env)
    assert done.returncode == 0 and "corrected and loaded" in done.stdout, done.stderr
    shown = json.loads(tracehub("quarantine", "show", str(qid), "--json", env=env).stdout)
    assert shown["status"] == "corrected"
    assert [(c["field"], c["old_value"], c["new_value"], c["actor"]) for c in shown["corrections"]] == [
        (path, "0", "3", "dana")
    ]
    log = json.loads(tracehub("audit", "log", "--actor", "dana", "--json", env=env).stdout)
    assert [e["action"] for e in log] == ["quarantine.correct"]
    text = tracehub("quarantine", "show", str(qid), env=env)
    assert text.returncode == 0 and "corrections" in text.stdout and "typo at the shop" in text.stdout, text.stderr
