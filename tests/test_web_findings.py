"""The findings pages over HTTP on both backends: each finding read as a sentence in the reader's
language, its device named, a link to its trace; counts by severity on the overview."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from markupsafe import escape
from plant import GTIN, device, load, lot, shipment
from webconsole import csrf, password, store_url

import steward
from traceability.findings import FindingConfig, list_findings, refresh_findings
from tracehub.web import create_app

SECRET = "findings-page-secret-" * 3


def _client(app, language: str) -> TestClient:
    client = TestClient(app, follow_redirects=False, headers={"Accept-Language": language})
    r = client.post("/login", data={"username": "vic", "password": password("vic"), "csrf_token": csrf(client)})
    assert r.status_code == 303, r.text
    return client


def test_findings_read_as_sentences_with_device_names_and_links(store):
    load(store, device(), lot("L1", expiry=date(2024, 5, 1)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 3)]))
    refresh_findings(store, FindingConfig())
    steward.add_user(store, "vic", password("vic"), "viewer")
    (found,) = list_findings(store)
    app = create_app(store_url(store), SECRET)
    try:
        english = _client(app, "en-GB")
        page = english.get("/findings").text
        assert "Lot L1 expired on 2024-05-01 and still left in shipment S1 (order SO-1) on 2024-05-02" in page
        assert f'href="/trace?gtin={GTIN}&amp;lot=L1"' in page and "Device TH-A-1" in page
        assert found["key"] not in page, "the raw key is not what a person reads"
        detail = english.get(f"/findings/{found['id']}").text
        assert "expired_lot_shipped" in detail and "Lot L1 expired on 2024-05-01" in detail
        assert 'action="/findings/' not in detail, "a viewer gets no acknowledge / resolve forms"
        overview = english.get("/").text
        assert 'data-testid="finding-count-critical"' in overview and "1 critical" in overview
        filtered = english.get("/findings?severity=warning").text
        assert "No findings match." in filtered
        assert english.get("/findings?severity=urgent").status_code == 400
        assert english.get("/findings/999999").status_code == 404

        chinese = _client(app, "zh-CN")
        page = chinese.get("/findings").text
        assert str(escape("批号 L1 已于 2024-05-01 过期，仍于 2024-05-02")) in page and "追溯批号" in page
        assert "1 条严重" in chinese.get("/").text
    finally:
        app.state.store.close()
