"""The web console over HTTP (TestClient, real store): every route x every role, and every refusal.

The matrix test runs on SQLite and PostgreSQL and checks that it covers every route the app has,
so a new page cannot ship without a role decision. The refusal tests check the status, the
message on the page and that the store is exactly as before.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from webconsole import USERS, csrf, fill_store, password, sign_in, store_url, synced_console

import steward
from trace_store import queries
from trace_store.schema import audit_log, sync_run, trace_edge
from trace_store.store import Store
from traceability import deliveries
from traceability.findings import FindingConfig, get_finding, list_findings, refresh_findings
from traceability.recall import create_recall, list_recalls
from tracehub.web import create_app
from tracehub.web.app import load_secret_key
from tracehub.web.charts import failure_rate_points, failure_rate_svg
from tracehub.web.jsonview import json_lines

SECRET = "test-secret-key-" * 4
ROLES = (None, "viewer", "steward", "admin")
RANK = {None: -1, "viewer": 0, "steward": 1, "admin": 2}


def _data_docs(home: Path) -> None:
    (home / "data_docs").mkdir(parents=True)
    (home / "data_docs" / "index.html").write_text("<html><body>GX data docs</body></html>")


def _client(app: Any, role: str | None) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    if role:
        sign_in(client, role)
    return client


def _snapshot(store: Store) -> dict[str, Any]:
    """Everything a console action could change."""
    with store.connect() as conn:
        audit = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
        runs = conn.execute(sa.select(sa.func.count()).select_from(sync_run)).scalar_one()
    rows, _ = steward.list_quarantine(store, status=None, limit=1000)
    return {
        "data": queries.dump(store),
        "audit": audit,
        "runs": runs,
        "users": steward.list_users(store),
        "quarantine": {r["id"]: (r["status"], r.get("resolution_reason")) for r in rows},
    }


def _open_ids(store: Store) -> tuple[list[int], list[int]]:
    """Open quarantined records: (those with a mapped record, which can be accepted; all of them)."""
    rows, _ = steward.list_quarantine(store, limit=1000)
    ids = sorted(r["id"] for r in rows)
    mapped = [i for i in ids if steward.get_quarantine(store, i)["mapped"] is not None]
    return mapped, ids


# ---- the route x role matrix ------------------------------------------------------------------


@dataclass
class Case:
    method: str
    route: str
    path: str
    need: str | None
    ok: int
    data: dict[str, Any] = field(default_factory=dict)

    def expected(self, role: str | None) -> int:
        if self.need is None:
            return self.ok
        if role is None:
            return 303
        return self.ok if RANK[role] >= RANK[self.need] else 403


def _shipped_lot(store: Store) -> tuple[str, str]:
    e = trace_edge.c
    with store.connect() as conn:
        gtin, lot = conn.execute(sa.select(e.gtin, e.lot).where(e.lot.is_not(None), e.evidence == "shipped")).first()
    return gtin, lot


def _cases(
    store: Store, role: str | None, targets: dict[str, dict[str, int]], replay_id: int, recall_id: int
) -> list[Case]:
    gtin, lot = _shipped_lot(store)
    mine = targets.get(role or "", targets["steward"])
    reason = {"reason": f"verified by phone with the supplier ({role})"}
    note = {"note": f"the 3PL confirmed the shipment ({role})"}
    qid = mine["accept"]
    again = steward.get_quarantine(store, replay_id)
    group = {"rule": again["rules"][0], "source": again["source"], "entity": again["entity"]}
    bulk = {"action": "replay", "expected": len(steward.matching_open(store, **group)), **group}
    return [
        Case("GET", "/login", "/login", None, 200),
        Case("POST", "/login", "/login", None, 401, {"username": f"nobody-{role}", "password": "wrong-password"}),
        Case("GET", "/", "/", "viewer", 200),
        Case("GET", "/quarantine", "/quarantine?status=open&rule=currency_iso4217", "viewer", 200),
        Case("GET", "/quarantine/{qid}", f"/quarantine/{qid}", "viewer", 200),
        Case("GET", "/quarantine/bulk", f"/quarantine/bulk?action=reject&rule={group['rule']}", "steward", 200),
        Case("POST", "/quarantine/bulk", "/quarantine/bulk", "steward", 303, bulk),
        Case("POST", "/quarantine/{qid}/correct", f"/quarantine/{replay_id}/correct", "steward", 400, reason),
        Case("POST", "/quarantine/replay", "/quarantine/replay", "steward", 303, {"ids": [replay_id]}),
        Case("POST", "/quarantine/{qid}/replay", f"/quarantine/{replay_id}/replay", "steward", 303),
        Case("POST", "/quarantine/{qid}/accept", f"/quarantine/{qid}/accept", "steward", 303, reason),
        Case("POST", "/quarantine/{qid}/reject", f"/quarantine/{mine['reject']}/reject", "steward", 303, reason),
        Case("GET", "/trace", f"/trace?gtin={gtin}&lot={lot}", "viewer", 200),
        Case("GET", "/audit", "/audit?verify=1", "viewer", 200),
        Case("GET", "/data-docs", "/data-docs", "viewer", 200),
        Case("GET", "/data-docs/{path:path}", "/data-docs/index.html", "viewer", 200),
        Case("GET", "/findings", "/findings?status=all&severity=critical", "viewer", 200),
        Case("GET", "/findings/{finding_id}", f"/findings/{mine['ack']}", "viewer", 200),
        Case(
            "POST", "/findings/{finding_id}/acknowledge", f"/findings/{mine['ack']}/acknowledge", "steward", 303, note
        ),
        Case("POST", "/findings/{finding_id}/resolve", f"/findings/{mine['resolve']}/resolve", "steward", 303, note),
        Case("GET", "/recalls", "/recalls", "viewer", 200),
        Case("GET", "/recalls/new", "/recalls/new", "steward", 200),
        Case("POST", "/recalls/preview", "/recalls/preview", "steward", 200, {"gtin": gtin, "lots": lot, **reason}),
        Case(
            "POST",
            "/recalls",
            "/recalls",
            "steward",
            303,
            {"gtin": gtin, "lots": lot, "confirm_duplicate": "yes", **reason},
        ),
        Case("GET", "/recalls/{recall_id}", f"/recalls/{recall_id}", "viewer", 200),
        Case("POST", "/recalls/{recall_id}/close", f"/recalls/{mine['close']}/close", "steward", 303, reason),
        Case("GET", "/recalls/{recall_id}/report.html", f"/recalls/{recall_id}/report.html", "viewer", 200),
        Case("GET", "/recalls/{recall_id}/consignees.csv", f"/recalls/{recall_id}/consignees.csv", "viewer", 200),
        Case("GET", "/users", "/users", "admin", 200),
        Case("GET", "/kpi", "/kpi", "viewer", 200),
        Case(
            "POST",
            "/users",
            "/users",
            "admin",
            303,
            {"username": f"new-{role}", "password": "pw-123456789", "role": "viewer"},
        ),
        Case("POST", "/users/{username}/disable", "/users/vic/disable", "admin", 303),
        Case("POST", "/users/{username}/enable", "/users/vic/enable", "admin", 303),
        Case("POST", "/users/{username}/role", "/users/vic/role", "admin", 303, {"role": "viewer"}),
        Case("POST", "/users/{username}/password", "/users/vic/password", "admin", 303, {"password": "password-vic"}),
        Case("POST", "/users/{username}/unlock", "/users/vic/unlock", "admin", 303),
        Case("POST", "/language", "/language", None, 303, {"language": "en", "next": "/"}),
        Case("POST", "/logout", "/logout", None, 303),
    ]


def test_every_route_answers_every_role_as_its_role_allows(store, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    _data_docs(tmp_path)
    fill_store(store, monkeypatch)
    mapped, open_ids = _open_ids(store)
    assert len(mapped) >= 4 and len(set(open_ids) - set(mapped[:4])) >= 1, "the world quarantines enough records"
    refresh_findings(store, FindingConfig())
    found = sorted(f["id"] for f in list_findings(store))
    assert len(found) >= 4, "the world holds enough findings to act on"
    targets = {
        "steward": {"accept": mapped[0], "reject": mapped[1], "ack": found[0], "resolve": found[1]},
        "admin": {"accept": mapped[2], "reject": mapped[3], "ack": found[2], "resolve": found[3]},
    }
    replay_id = next(i for i in open_ids if i not in mapped[:4])
    gtin, lot = _shipped_lot(store)
    recall_id = create_recall(store, gtin, [lot], reason="sterility doubt", actor="qa")
    for role in ("steward", "admin"):
        targets[role]["close"] = create_recall(store, gtin, [lot], reason="doubt", actor="qa", allow_duplicate=True)
    app = create_app(store_url(store), SECRET)
    try:
        routes = {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods}
        assert routes == {(c.method, c.route) for c in _cases(store, None, targets, replay_id, recall_id)}, (
            "matrix covers all"
        )
        mismatches = []
        for role in ROLES:
            before = _snapshot(store) if RANK[role] < RANK["steward"] else None
            client = _client(app, role)
            for case in _cases(store, role, targets, replay_id, recall_id):
                token = {"csrf_token": csrf(client)} if case.method == "POST" else {}
                r = client.request(
                    case.method, case.path, data={**case.data, **token} if case.method == "POST" else None
                )
                got = (r.status_code, r.headers.get("location", "").split("?")[0] if r.status_code == 303 else "")
                want_status = case.expected(role)
                if r.status_code != want_status or (role is None and case.need and got[1] != "/login"):
                    mismatches.append(f"{role or 'no session'} {case.method} {case.path}: {got} != {want_status}")
            if before is not None:
                assert _snapshot(store) == before, f"{role or 'no session'} changed the store"
        assert not mismatches, "\n".join(mismatches)
        for role in ("steward", "admin"):
            assert steward.get_quarantine(store, targets[role]["accept"])["status"] == "accepted"
            assert steward.get_quarantine(store, targets[role]["reject"])["status"] == "rejected"
        for role in ("steward", "admin"):
            assert get_finding(store, targets[role]["ack"])["acknowledged_by"] == USERS[role]
            assert get_finding(store, targets[role]["resolve"])["resolved_by"] == USERS[role]
        users = {u["username"]: u for u in steward.list_users(store)}
        assert {"new-steward", "new-viewer"}.isdisjoint(users) and "new-admin" in users
        assert users["vic"]["disabled"] is False
        assert {r.status for r in list_recalls(store) if r.recall_id in (targets["steward"]["close"], recall_id)} == {
            "closed",
            "open",
        }
        assert {r.created_by for r in list_recalls(store)} == {"qa", "sam", "ada"}, "stewards and admins recorded"
    finally:
        app.state.store.close()


# ---- refusals on one synced SQLite store ------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("home")
    _data_docs(home)
    (home / "secret_key").write_text("not to be served")
    with synced_console(home, SECRET) as (web, _):
        yield web


@pytest.fixture(scope="module")
def target(app) -> int:
    """An open record that can be accepted: refusals must leave it exactly so."""
    return _open_ids(app.state.store)[0][0]


@pytest.fixture
def steward_client(app) -> TestClient:
    return _client(app, "steward")


def _refused(app: Any, client: TestClient, path: str, data: dict[str, Any], status: int, message: str) -> str:
    before = _snapshot(app.state.store)
    r = client.post(path, data=data)
    assert r.status_code == status, r.text
    assert message in r.text
    assert _snapshot(app.state.store) == before
    return r.text


def test_a_missing_or_forged_csrf_token_is_refused_and_changes_nothing(app, target, steward_client):
    ok = {"reason": "checked with the supplier"}
    _refused(app, steward_client, f"/quarantine/{target}/accept", ok, 403, "has no security token")
    forged = {**ok, "csrf_token": "forged-" + csrf(steward_client)[7:]}
    _refused(app, steward_client, f"/quarantine/{target}/accept", forged, 403, "does not match your session")
    other_session = csrf(_client(app, "admin"))
    _refused(app, steward_client, f"/quarantine/{target}/reject", {**ok, "csrf_token": other_session}, 403, "match")
    _refused(app, steward_client, "/logout", {"csrf_token": "x"}, 403, "does not match")
    _refused(app, _client(app, "admin"), "/users", {"username": "eve", "password": "p" * 12, "role": "admin"}, 403, "")
    anonymous = TestClient(app, follow_redirects=False)
    form = {"username": "sam", "password": password("sam"), "csrf_token": "guess"}
    _refused(app, anonymous, "/login", form, 403, "session has expired")
    csrf(anonymous)
    _refused(app, anonymous, "/login", form, 403, "does not match")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * (steward.REASON_MAX + 1), f"at most {steward.REASON_MAX}"),
        ("<script>alert('owned')</script>", "markup"),
        ('fine <img src=x onerror="alert(1)">', "markup"),
        ("javascript:alert(1)", "markup"),
        ("   ", "a reason is required"),
        ("", "a reason is required"),
    ],
    ids=["too-long", "script", "img-tag", "js-url", "blank", "empty"],
)
@pytest.mark.parametrize("action", ["accept", "reject"])
def test_bad_reasons_are_refused_on_the_page_and_change_nothing(app, target, steward_client, action, reason, message):
    data = {"reason": reason, "csrf_token": csrf(steward_client)}
    page = _refused(app, steward_client, f"/quarantine/{target}/{action}", data, 400, message)
    assert "<script>alert" not in page and "<img src=x" not in page, "echoed input is escaped"
    assert "Nothing changed." in page


def test_unknown_record_ids_are_404_and_change_nothing(app, steward_client):
    assert steward_client.get("/quarantine/987654").status_code == 404
    token = {"csrf_token": csrf(steward_client)}
    for action in ("accept", "reject", "replay"):
        _refused(app, steward_client, f"/quarantine/987654/{action}", {"reason": "ok", **token}, 404, "no quarantined")
    _refused(app, steward_client, "/quarantine/replay", {"ids": ["987654"], **token}, 400, "no quarantined record")
    _refused(app, steward_client, "/quarantine/replay", {"ids": ["abc"], **token}, 400, "whole numbers")
    assert steward_client.get("/quarantine/abc").status_code == 400
    admin = _client(app, "admin")
    _refused(app, admin, "/users/nobody/disable", {"csrf_token": csrf(admin)}, 404, "no user")


def test_bad_form_and_filter_inputs_get_a_clear_refusal(app, steward_client):
    r = steward_client.get("/quarantine?status=<b>x</b>")
    assert r.status_code == 400 and "unknown status" in r.text and "<b>x</b>" not in r.text
    assert steward_client.get("/quarantine?page=0").status_code == 400
    assert steward_client.get(f"/quarantine?rule={'r' * 500}").status_code == 400
    r = steward_client.get("/trace?gtin=09506000134353&lot=L1")
    assert r.status_code == 400 and "check digit" in r.text
    assert "either a lot or a serial" in steward_client.get("/trace?gtin=09506000134352").text
    admin = _client(app, "admin")
    bad_user = {"username": "<b>eve</b>", "password": "long-enough-pw", "role": "admin", "csrf_token": csrf(admin)}
    page = _refused(app, admin, "/users", bad_user, 400, "is not allowed")
    assert "<b>eve</b>" not in page
    _refused(app, admin, "/users", {**bad_user, "username": "eve", "role": "root"}, 400, "unknown role")
    _refused(app, admin, "/users/ada/disable", {"csrf_token": csrf(admin)}, 400, "your own account")


def test_a_steward_decision_shows_in_history_and_audit(app, steward_client):
    store = app.state.store
    mapped, _ = _open_ids(store)
    qid = mapped[-1]
    token = csrf(steward_client)
    r = steward_client.post(f"/quarantine/{qid}/accept", data={"reason": "supplier confirmed", "csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, f"/quarantine/{qid}")
    page = steward_client.get(f"/quarantine/{qid}").text
    assert "accepted by sam" in page and "supplier confirmed" in page
    record = steward.get_quarantine(store, qid)
    audit = steward_client.get(f"/audit?entity={record['entity']}&key={record['source']}/{record['external_id']}")
    assert "quarantine.accept" in audit.text and "supplier confirmed" in audit.text
    assert "Chain intact" in steward_client.get("/audit?verify=1").text


def test_sessions_login_and_logout(app):
    client = TestClient(app, follow_redirects=False)
    r = client.get("/quarantine?rule=qty_positive")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/quarantine%3Frule%3Dqty_positive")
    r = client.post("/login", data={"username": "sam", "password": "nope", "csrf_token": csrf(client)})
    assert r.status_code == 401 and "wrong password" in r.text
    form = {"username": "sam", "password": password("sam"), "next": "//evil.example/x", "csrf_token": csrf(client)}
    r = client.post("/login", data=form)
    assert (r.status_code, r.headers["location"]) == (303, "/")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    assert client.get("/").status_code == 303


def test_a_disabled_user_is_signed_out_at_the_next_click(app):
    store = app.state.store
    steward.add_user(store, "dora", password("dora"), "steward")
    client = TestClient(app, follow_redirects=False)
    r = client.post("/login", data={"username": "dora", "password": password("dora"), "csrf_token": csrf(client)})
    assert r.status_code == 303 and client.get("/").status_code == 200
    steward.set_user_disabled(store, "dora", True, actor="ada")
    assert client.get("/").status_code == 303


def test_pages_escape_what_they_show(app, make, steward_client):
    store = app.state.store
    run = store.begin_run("<b>src</b>", "shipment")
    evil = "<script>alert('x')</script>"
    failure = make_failure(evil)
    store.commit_batch(make.batch(run, [], quarantined=[(evil, make.T0, [failure])], source="<b>src</b>"))
    rows, _ = steward.list_quarantine(store, source="<b>src</b>")
    page = steward_client.get(f"/quarantine/{rows[0]['id']}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>src</b>" not in steward_client.get("/quarantine?status=any").text
    assert "<b>src</b>" not in steward_client.get("/").text


def make_failure(value: str) -> Any:
    from data_dictionary.failures import RuleFailure

    return RuleFailure(rule="gtin_check_digit", field="lines[0].gtin", value=value, message=f"bad {value}")


def test_failed_rules_are_marked_on_their_fields(app, steward_client):
    store = app.state.store
    rows, _ = steward.list_quarantine(store, rule="qty_positive")
    page = steward_client.get(f"/quarantine/{rows[0]['id']}").text
    assert page.count('class="failed"') >= 2, "the failing field is marked in the payload and the mapped record"
    assert 'data-note="qty_positive: ' in page


def test_json_lines_mark_paths_then_same_position_values():
    mapped = {"currency": "RMB", "lines": [{"qty": "1"}, {"qty": "0"}]}
    failures = [{"rule": "qty_positive", "field": "lines[1].qty", "value": "0", "message": "must be > 0"}]
    marked = [(line.path, line.notes) for line in json_lines(mapped, failures) if line.marked]
    assert marked == [("lines[1].qty", ["qty_positive: must be > 0"])]
    payload = {"items": [{"quantity": 0, "n": 0}, {"quantity": 0}]}
    failures[0]["field"] = "lines[0].qty"
    assert [line.path for line in json_lines(payload, failures, match_values=True) if line.marked] == [
        "items[0].quantity",
        "items[0].n",
    ]
    assert not any(line.marked for line in json_lines(payload, failures))


def test_failure_rate_chart_aggregates_runs_per_source():
    runs = [
        {"source": "shop", "started_at": "2024-05-01T08:00:00+00:00", "loaded": 9, "quarantined": 1},
        {"source": "shop", "started_at": "2024-05-01T08:00:00+00:00", "loaded": 5, "quarantined": 5},
        {"source": "erp", "started_at": "2024-05-02T08:00:00+00:00", "loaded": 0, "quarantined": 0},
        {"source": "erp", "started_at": "2024-05-03T08:00:00+00:00", "loaded": 4, "quarantined": 0},
    ]
    points = failure_rate_points(runs)
    assert {s: [(q, n) for _, q, n in p] for s, p in points.items()} == {"erp": [(0, 4)], "shop": [(6, 20)]}
    svg = str(failure_rate_svg(runs))
    assert svg.startswith("<svg") and "shop 2024-05-01 08:00 UTC: 6 of 20 quarantined (30.0%)" in svg
    bars = re.findall(
        r'<rect class="volume" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"><title>([^<]*)', svg
    )
    assert [title for _, title in bars] == [
        "2024-05-01 08:00 UTC: 6 of 20 records quarantined (30.0%), all sources",
        "2024-05-03 08:00 UTC: 0 of 4 records quarantined (0.0%), all sources",
    ]
    assert float(bars[0][0]) == pytest.approx(5 * float(bars[1][0]), rel=0.01), "bar height follows the volume"
    radii = [float(r) for r in re.findall(r'<circle [^>]* r="([\d.]+)"', svg)]
    assert radii[0] < radii[1], "the erp dot (4 records) is smaller than the shop dot (20)"
    assert "No sync run" in str(failure_rate_svg([]))


def test_data_docs_are_served_but_nothing_outside_them(app, steward_client):
    assert "GX data docs" in steward_client.get("/data-docs/index.html").text
    assert "GX data docs" in steward_client.get("/data-docs/").text
    for path in ("/data-docs/%2e%2e/secret_key", "/data-docs/..%2fsecret_key", "/data-docs/missing.html"):
        r = steward_client.get(path)
        assert r.status_code == 404 and "not to be served" not in r.text, path


def test_the_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    monkeypatch.delenv("TRACEHUB_SECRET_KEY", raising=False)
    first = load_secret_key()
    assert len(first) >= 32 and load_secret_key() == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    monkeypatch.setenv("TRACEHUB_SECRET_KEY", "from-the-environment")
    assert load_secret_key() == "from-the-environment"


def test_trace_findings_and_recalls_pages_show_the_stores_answers(app, steward_client):
    store = app.state.store
    gtin, lot = _shipped_lot(store)
    page = steward_client.get(f"/trace?gtin={gtin}&lot={lot}").text
    customers = {d.customer for d in deliveries.trace_lot(store, gtin, lot)}
    assert customers and all(escape(c) in page for c in customers), "every consignee of the lot is listed"
    assert "no movement" in steward_client.get("/trace?gtin=09506000134352&lot=NO-SUCH-LOT").text
    assert steward_client.get("/findings?status=all").status_code == 200
    r = steward_client.get("/findings?status=<i>bad</i>")
    assert r.status_code == 400 and "<i>bad</i>" not in r.text
    recall_id = create_recall(store, gtin, [lot], reason="<b>sterility</b> doubt", actor="qa")
    listing = steward_client.get("/recalls").text
    assert f"/recalls/{recall_id}" in listing and "&lt;b&gt;sterility" in listing
    page = steward_client.get(f"/recalls/{recall_id}").text
    assert all(escape(c) in page for c in customers)
    report = steward_client.get(f"/recalls/{recall_id}/report.html").text
    assert all(escape(c) in report for c in customers)
    assert steward_client.get("/recalls/987654").status_code == 404


def test_tracehub_serve_answers_on_the_given_port(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TRACEHUB_HOME": str(tmp_path), "TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    env.pop("TRACEHUB_SECRET_KEY", None)
    cmd = [sys.executable, "-m", "tracehub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None, proc.stdout.read() if proc.poll() is not None else "no answer"
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert "Sign in" in httpx.get(f"http://127.0.0.1:{port}/login").text
        assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in output and "no console users yet" in output


def test_the_quarantine_list_pages_through_filtered_records(app, make, steward_client):
    store = app.state.store
    run = store.begin_run("bulk", "shipment")
    failure = make_failure("0")
    bad = [(f"B-{n:03d}", make.T0, [failure]) for n in range(57)]
    store.commit_batch(make.batch(run, [], quarantined=bad, source="bulk"))
    first = steward_client.get("/quarantine?source=bulk").text
    assert first.count('name="ids"') == 50 and "page 1 of 2" in first
    assert "/quarantine?source=bulk&amp;status=open&amp;page=2" in first
    second = steward_client.get("/quarantine?source=bulk&status=open&page=2").text
    assert second.count('name="ids"') == 7 and "page 2 of 2" in second and "← previous" in second
    assert "(57 records · open)" in first


def test_bulk_and_correction_refusals_name_the_problem_and_change_nothing(app, steward_client):
    store = app.state.store
    token = {"csrf_token": csrf(steward_client)}
    (rmb,), _ = steward.list_quarantine(store, rule="currency_iso4217", limit=1)
    count = len(steward.matching_open(store, rule="currency_iso4217"))
    stale = {"action": "reject", "rule": "currency_iso4217", "expected": str(count + 1), "reason": "test data", **token}
    _refused(app, steward_client, "/quarantine/bulk", stale, 400, "not the")
    unfiltered = {"action": "reject", "expected": str(count), "reason": "test data", **token}
    _refused(app, steward_client, "/quarantine/bulk", unfiltered, 400, "needs a filter")
    _refused(app, steward_client, "/quarantine/bulk", {**stale, "action": "delete"}, 400, "Unknown bulk action")
    assert steward_client.get("/quarantine/bulk?action=reject").status_code == 400
    confirm = steward_client.get("/quarantine/bulk?action=reject&rule=currency_iso4217")
    assert confirm.status_code == 200 and f'name="expected" value="{count}"' in confirm.text

    wrong = {"field:currency": "XYZ", "reason": "typo", **token}
    page = _refused(app, steward_client, f"/quarantine/{rmb['id']}/correct", wrong, 400, "currency_iso4217")
    assert 'data-testid="correction-failures"' in page and 'value="XYZ"' in page, "the typed value is kept"
    hostile = {"field:currency": "<script>alert(1)</script>", "reason": "typo", **token}
    page = _refused(app, steward_client, f"/quarantine/{rmb['id']}/correct", hostile, 400, "currency_iso4217")
    assert "<script>alert(1)" not in page
    _refused(app, steward_client, f"/quarantine/{rmb['id']}/correct", {"reason": "typo", **token}, 400, "at least one")
