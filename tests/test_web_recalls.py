"""Recalls in the console over HTTP (TestClient, a synced SQLite store): preview, create, the duplicate
guard, close, the downloads in both languages, and what a viewer may not see or do."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from markupsafe import escape
from test_recall_lifecycle import shipped_lot
from webconsole import csrf, sign_in, synced_console

from trace_store.schema import audit_log, recall
from traceability import recall as recalls

SECRET = "recall-console-secret-" * 3


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Any]:
    with synced_console(tmp_path_factory.mktemp("home"), SECRET) as (web, _):
        yield web


def client(app: Any, role: str, language: str = "en") -> TestClient:
    c = TestClient(app, follow_redirects=False, headers={"Accept-Language": language})
    sign_in(c, role)
    return c


def recall_count(store: Any) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(recall)).scalar_one())


def test_a_steward_previews_records_is_warned_of_a_duplicate_and_closes(app):
    store = app.state.store
    gtin, lot = shipped_lot(store)
    sam = client(app, "steward")
    form = {"gtin": gtin, "lots": f"{lot}\n{lot}", "reason": "Cannula burr, supplier notice 17"}
    before = recall_count(store)
    page = sam.post("/recalls/preview", data={**form, "csrf_token": csrf(sam)})
    assert page.status_code == 200 and "nothing is recorded yet" in page.text
    expected = recalls.preview(store, gtin, [lot], reason="x")
    assert all(str(escape(c.name)) in page.text for c in expected.consignees), "the preview names every consignee"
    assert f"{len(expected.consignees)} consignees" in page.text and 'data-testid="duplicate-warning"' not in page.text
    assert recall_count(store) == before, "a preview records nothing"

    done = sam.post("/recalls", data={**form, "lots": lot, "csrf_token": csrf(sam)})
    assert done.status_code == 303
    first = int(done.headers["location"].rsplit("/", 1)[1])
    detail = sam.get(done.headers["location"]).text
    assert f"Recall {first} recorded." in detail and 'data-testid="close-form"' in detail
    assert recalls.get_recall(store, first).created_by == "sam"

    warned = sam.post("/recalls/preview", data={**form, "csrf_token": csrf(sam)})
    assert 'data-testid="duplicate-warning"' in warned.text and f'href="/recalls/{first}"' in warned.text
    assert 'name="confirm_duplicate"' in warned.text
    refused = sam.post("/recalls", data={**form, "csrf_token": csrf(sam)})
    assert refused.status_code == 409 and "tick the confirmation" in refused.text
    assert recall_count(store) == before + 1
    again = sam.post("/recalls", data={**form, "confirm_duplicate": "yes", "csrf_token": csrf(sam)})
    assert again.status_code == 303 and recall_count(store) == before + 2

    bad = sam.post(f"/recalls/{first}/close", data={"reason": "<b>done</b>", "csrf_token": csrf(sam)})
    assert bad.status_code == 400 and "markup" in bad.text and recalls.get_recall(store, first).status == "open"
    closed = sam.post(f"/recalls/{first}/close", data={"reason": "All units back (RMA 88)", "csrf_token": csrf(sam)})
    assert closed.status_code == 303
    shown = sam.get(f"/recalls/{first}").text
    assert f"Recall {first} closed." in shown and "All units back (RMA 88)" in shown and "close-form" not in shown
    twice = sam.post(f"/recalls/{first}/close", data={"reason": "again", "csrf_token": csrf(sam)})
    assert twice.status_code == 400 and "already closed" in twice.text
    a = audit_log.c
    with store.connect() as conn:
        actions = conn.execute(
            sa.select(a.action, a.actor).where(a.key == str(first), a.entity == "recall").order_by(a.seq)
        ).all()
    assert [tuple(r) for r in actions] == [("recall.create", "sam"), ("recall.close", "sam")]


def test_bad_input_is_refused_with_nothing_recorded(app):
    store = app.state.store
    gtin, lot = shipped_lot(store)
    sam = client(app, "steward")
    before = recall_count(store)
    for data, status, message in (
        ({"gtin": "123", "lots": lot, "reason": "x"}, 400, "14 digits"),
        ({"gtin": gtin, "lots": " ", "reason": "x"}, 400, "Name between 1 and"),
        ({"gtin": gtin, "lots": lot, "reason": ""}, 400, "reason"),
        ({"gtin": gtin, "lots": "NO-SUCH-LOT", "reason": "x"}, 400, "no lot &#39;NO-SUCH-LOT&#39;"),
    ):
        for path in ("/recalls/preview", "/recalls"):
            r = sam.post(path, data={**data, "csrf_token": csrf(sam)})
            assert r.status_code == status and message in r.text, (path, data, r.text[-500:])
            assert 'data-testid="recall-form"' in r.text and f'value="{data["gtin"]}"' in r.text, "the form as typed"
    assert sam.post("/recalls", data={"gtin": gtin, "lots": lot, "reason": "x"}).status_code == 403, "CSRF"
    vic = client(app, "viewer")
    assert (
        vic.post("/recalls", data={"gtin": gtin, "lots": lot, "reason": "x", "csrf_token": csrf(vic)}).status_code
        == 403
    )
    assert recall_count(store) == before


def test_downloads_in_the_readers_language_with_contacts_for_stewards_only(app):
    store = app.state.store
    gtin, lot = shipped_lot(store)
    rid = recalls.create_recall(store, gtin, [lot], reason="sterility doubt", actor="qa", allow_duplicate=True)
    report = recalls.impact(store, rid)
    contacts = {c.email for c in report.consignees if c.email}
    assert contacts, "the world's consignees have emails"
    for language, header, title in (("en", "consignee", "Consignees"), ("zh", "收货方", "收货方")):
        sam = client(app, "steward", language)
        r = sam.get(f"/recalls/{rid}/consignees.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert 'filename="recall-' in r.headers["content-disposition"]
        assert r.content.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][0] == header and {row[4] for row in rows[1:]} >= contacts
        html = sam.get(f"/recalls/{rid}/report.html").text
        assert f"<h2>{title}</h2>" in html and "<script" not in html
        assert re.search(r'<html lang="(zh-Hans|en)"', html).group(1) == ("zh-Hans" if language == "zh" else "en")
        page = sam.get(f"/recalls/{rid}").text
        assert ("召回" if language == "zh" else "Recall") in page
    vic = client(app, "viewer")
    text = vic.get(f"/recalls/{rid}/consignees.csv").content.decode("utf-8-sig")
    assert not any(email in text for email in contacts), "viewers get no contact details"
    assert not any(email in vic.get(f"/recalls/{rid}/report.html").text for email in contacts)
    assert "close-form" not in vic.get(f"/recalls/{rid}").text and "/recalls/new" not in vic.get("/recalls").text
    assert vic.get("/recalls/new").status_code == 403
    assert client(app, "steward").get("/recalls/987654/consignees.csv").status_code == 404


def test_every_recall_report_text_has_a_chinese_translation():
    """The report's templates (outside the console's folder) and its column headers are in the catalog too."""
    from babel.messages.extract import extract_from_dir

    from tracehub import recall_report
    from tracehub.web import i18n

    found = extract_from_dir(
        str(Path(recall_report.__file__).parent / "templates"),
        method_map=[("recall_*.j2", "jinja2.ext:babel_extract")],
        options_map={"recall_*.j2": {"extensions": "jinja2.ext.i18n"}},
    )
    texts = {message for _, _, message, _, _ in found if isinstance(message, str)}
    assert "Consignees" in texts, "the extraction sees the report's texts"
    columns = [
        *recall_report.DELIVERY_COLUMNS,
        *recall_report.RETURN_COLUMNS,
        *recall_report.STOCK_COLUMNS,
        *recall_report.BALANCE_COLUMNS,
        *recall_report.CONSIGNEE_COLUMNS,
    ]
    words = ["open", "closed", "preview", "drill", "recorded", "inferred", "recalled lots", "made from them"]
    chinese = i18n.translations("zh")
    missing = sorted(t for t in {*texts, *columns, *words} if chinese.gettext(t) == t)
    assert not missing, f"recall report texts without a Chinese translation in recalls.po: {missing}"
