"""The `tracehub` command line as a user runs it: a subprocess, its output and exit code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from commands import tracehub
from platforms import running_platforms

from simulators.world import expected_trace, generate_world

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "\x1d01069512345000161728022910L2603-A/07",
            {"gtin": "06951234500016", "lot": "L2603-A/07", "serial": None, "expiry_date": "2028-02-29"},
        ),
        (
            "(01)06951234500016(11)260301(17)280300(10)L26-B/3",
            {"gtin": "06951234500016", "lot": "L26-B/3", "production_date": "2026-03-01", "expiry_date": "2028-03-31"},
        ),
        ("(01)06951234500016(21)SN000123", {"gtin": "06951234500016", "serial": "SN000123", "lot": None}),
    ],
)
def test_udi_parse_json(text, expected):
    done = tracehub("udi", "parse", text, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["errors"] == []
    for key, value in expected.items():
        assert data[key] == value


@pytest.mark.parametrize("text", ["(01)06951234500018(10)L1", "hello", ""])
def test_udi_parse_rejects_invalid_strings_with_errors(text):
    done = tracehub("udi", "parse", text, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"]
    assert "Traceback" not in done.stderr


def test_malformed_sources_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  - name: shop\n    kind: magento\n    base_url: http://x\n    entities: [order]\n"
        "    credentials: {env: X}\n"
    )
    done = tracehub("check", "shop", "--config", str(bad))
    assert done.returncode == 1
    assert "source 'shop' field kind" in done.stderr
    assert "Traceback" not in done.stderr
    done = tracehub("check", "nope", "--config", str(REPO / "config" / "sources.yaml"))
    assert done.returncode == 1 and "no source named 'nope'" in done.stderr


def test_sync_check_stats_trace_export_quarantine(tmp_path, monkeypatch):
    world = generate_world(9, 0.3)
    env = {"TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'store.db'}", "TRACEHUB_HOME": str(tmp_path)}
    with running_platforms(world, monkeypatch) as platforms:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            yaml.safe_dump(
                {"sources": [c.model_dump(mode="json", exclude_none=True) for c in platforms.configs.values()]}
            )
        )
        env.update({k: v for k, v in os.environ.items() if k.startswith("TRACEHUB_TEST_")})
        env["TRACEHUB_SOURCES"] = str(sources)
        check = tracehub("check", "shop", env=env)
        assert check.returncode == 0 and "ok" in check.stdout, check.stderr
        for source in ("erp", "shop", "warehouse"):
            done = tracehub("sync", source, env=env)
            assert done.returncode == 0, done.stderr
            assert "loaded" in done.stdout

    stats = json.loads(tracehub("stats", "--json", env=env).stdout)
    assert stats["entities"]["shipment"] > 0 and stats["entities"]["order"] > 0

    truth = expected_trace(world)["lots"]
    key = max(truth, key=lambda k: len(truth[k]))
    gtin, lot = key.split("|", 1)
    traced = json.loads(tracehub("trace", "lot", gtin, lot, "--json", env=env).stdout)
    assert sum(float(d["qty"]) for d in traced["deliveries"]) == sum(d["qty"] for d in truth[key])

    table = tracehub("trace", "lot", gtin, lot, env=env)
    assert table.returncode == 0 and lot in table.stdout

    quarantined = json.loads(tracehub("quarantine", "list", "--json", env=env).stdout)
    assert quarantined and all(row["failures"] for row in quarantined)

    exported = tracehub("export", "shipment", "--format", "jsonl", env=env)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == stats["entities"]["shipment"]
    assert all(row["lines"] for row in rows)

    unknown = tracehub("export", "widgets", env=env)
    assert unknown.returncode != 0 and "unknown entity" in unknown.stderr


def test_dictionary_and_db_upgrade(tmp_path):
    markdown = tracehub("dictionary")
    assert markdown.returncode == 0
    assert "| `gtin` | GTIN (UDI-DI) | 产品标识（UDI-DI，GTIN） |" in markdown.stdout
    assert "| `registration_no` | Registration certificate no. | 注册证编号 |" in markdown.stdout
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = tracehub("db", "upgrade", env={"TRACEHUB_DB_URL": url})
    assert done.returncode == 0 and "up to date" in done.stdout
    assert (tmp_path / "fresh.db").exists()
