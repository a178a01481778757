"""A new platform added purely in YAML: declaration, mapping spec and sources entry, no Python.

The platform is a small contract served over real HTTP by the test: it refuses a wrong key, an
unknown query parameter or a malformed date, as a vendor would. `tracehub sync` runs in its own
process and loads into SQLite; the store must hold exactly what the contract served.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from commands import tracehub
from rest_api import Answer, Asked, serve

KEY = "acme-key-5521"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CONTACTS = [
    {
        "contactId": f"C-{n:03d}",
        "displayName": f"Clinic {n}",
        "kind": "hospital" if n % 2 else "distributor",
        "mail": f"clinic{n}@example.com",
        "changedAt": (T0 + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for n in range(1, 12)
]
CONTACTS[6]["kind"] = "spaceship"  # not a party role: quarantined, never dropped
ALLOWED = {"pageNo", "pageSize", "changedFrom", "changedTo", "sort"}

DECLARATION = {
    "name": "acme_crm",
    "title": "Acme CRM API v3",
    "requester": {"path_prefix": "/api/v3", "auth": {"type": "header", "name": "X-Acme-Key", "value": "{token}"}},
    "check": {"path": "/ping"},
    "streams": {
        "party": {
            "path": "/contacts",
            "paginator": {"type": "page_number", "page_param": "pageNo", "limit_param": "pageSize"},
            "records": "result.contacts",
            "id_field": "contactId",
            "cursor": {"field": "changedAt"},
            "filter": {"since": "changedFrom", "until": "changedTo", "format": "iso_z"},
            "static_params": {"sort": "changedAt"},
            "max_page_size": 4,
        }
    },
}
MAPPING = {
    "entity": "party",
    "fields": {
        "external_id": "contactId",
        "role": {"path": "kind", "transforms": [{"lookup": {"hospital": "hospital", "distributor": "distributor"}}]},
        "name": "displayName",
        "email": "mail",
        "source_updated_at": {"path": "changedAt", "transforms": ["datetime"]},
    },
}


def _moment(text: str) -> datetime:
    if not text.endswith("Z") or len(text) != 20:
        raise ValueError(text)
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def contract(asked: Asked) -> Answer:
    """What Acme's API accepts: its key, its parameters, ISO dates with Z, pages of at most 4."""
    if asked.headers.get("X-Acme-Key") != KEY:
        return Answer(401, {"error": "invalid key"})
    if asked.path == "/api/v3/ping":
        return Answer(200, {"ok": True})
    if asked.path != "/api/v3/contacts":
        return Answer(404, {"error": f"no such resource {asked.path}"})
    unknown = set(asked.query) - ALLOWED
    if unknown or asked.query.get("sort") != "changedAt":
        return Answer(400, {"error": f"unknown parameters {sorted(unknown)} or sort"})
    try:
        low = _moment(asked.query["changedFrom"]) if "changedFrom" in asked.query else None
        high = _moment(asked.query["changedTo"])
        page, size = int(asked.query["pageNo"]), int(asked.query["pageSize"])
    except (KeyError, ValueError):
        return Answer(400, {"error": "changedTo, pageNo and pageSize are required; dates as YYYY-MM-DDTHH:MM:SSZ"})
    if not 1 <= size <= 4:
        return Answer(400, {"error": "pageSize must be 1..4"})
    chosen = [
        c for c in CONTACTS if (low is None or _moment(c["changedAt"]) >= low) and _moment(c["changedAt"]) <= high
    ]
    return Answer(200, {"result": {"contacts": chosen[(page - 1) * size : page * size]}})


def test_a_platform_declared_only_in_yaml_syncs_into_the_store(tmp_path: Path) -> None:
    (tmp_path / "platforms").mkdir()
    (tmp_path / "platforms" / "acme_crm.yaml").write_text(yaml.safe_dump(DECLARATION, sort_keys=False))
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "acme_crm_party.yaml").write_text(yaml.safe_dump(MAPPING, sort_keys=False))
    database = tmp_path / "store.db"
    with serve(contract) as api:
        sources = {
            "sources": [
                {
                    "name": "crm",
                    "kind": "acme_crm",
                    "platform": "platforms/acme_crm.yaml",
                    "base_url": api.base_url,
                    "entities": ["party"],
                    "credentials": {"env": "ACME_CRM_KEY"},
                    "lookback_minutes": 0,
                }
            ]
        }
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources))
        env = {
            "TRACEHUB_SOURCES": str(tmp_path / "sources.yaml"),
            "TRACEHUB_MAPPINGS_DIR": str(tmp_path / "mappings"),
            "TRACEHUB_DB_URL": f"sqlite:///{database}",
            "TRACEHUB_HOME": str(tmp_path),
            "ACME_CRM_KEY": KEY,
        }
        check = tracehub("check", "crm", env=env)
        assert check.returncode == 0 and "acme_crm crm: 200 OK, Acme CRM API v3" in check.stdout, check.stderr
        first = tracehub("sync", "crm", env=env)
        assert first.returncode == 0, first.stderr
        pulled_first = len(api.asked) - 1
        again = tracehub("sync", "crm", env=env)
        assert again.returncode == 0, again.stderr
        second = api.asked[1 + pulled_first :]

    assert pulled_first == 3, "11 contacts in pages of at most 4"
    assert {a.query["pageSize"] for a in api.asked[1:]} == {"4"}
    assert "changedFrom" not in api.asked[1].query, "the first sync pulls everything"
    assert second and all(a.query.get("changedFrom") == CONTACTS[-1]["changedAt"] for a in second), (
        "the second sync asks only for what changed since the cursor"
    )

    with sqlite3.connect(database) as db:
        parties = db.execute("SELECT external_id, role, name, email FROM party ORDER BY external_id").fetchall()
        quarantined = db.execute("SELECT external_id, rules, failures FROM quarantine").fetchall()
    good = [c for c in CONTACTS if c["kind"] != "spaceship"]
    assert parties == [(c["contactId"], c["kind"], c["displayName"], c["mail"]) for c in good]
    [(external_id, rules, failures)] = quarantined
    assert (external_id, rules) == ("C-007", "mapping"), quarantined
    assert [f["field"] for f in json.loads(failures)] == ["kind"], "the failure names the platform field"

    stats = json.loads(tracehub("stats", "--json", env=env).stdout)
    assert stats["entities"]["party"] == 10
