"""A recall's life on both backends: preview, the duplicate guard, closing, the consignee CSV, drills.

The store is a small generated world synced through the simulated platforms (tests/webconsole.py),
so lots have real shipments, consignees with contacts, and component lots reaching finished ones.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from conftest import _truncate
from webconsole import fill_store

from trace_store.schema import audit_log, recall, recall_drill, trace_edge
from trace_store.store import Store
from traceability import drill
from traceability import recall as recalls
from tracehub.drill import run_drill
from tracehub.recall_report import CONSIGNEE_COLUMNS, inert, to_consignee_csv

pytestmark = pytest.mark.slow  # a world synced on each backend: about 40 s each


def shipped_lot(store) -> tuple[str, str]:
    e = trace_edge.c
    with store.connect() as conn:
        query = (
            sa.select(e.gtin, e.lot, sa.func.count(sa.distinct(e.to_party)).label("n"))
            .where(e.lot.is_not(None), e.evidence == "shipped")
            .group_by(e.gtin, e.lot)
            .order_by(sa.text("n DESC"), e.gtin, e.lot)
        )
        gtin, lot, _ = conn.execute(query).first()
    return gtin, lot


def audit_actions(store, *actions: str) -> list[tuple[str, str]]:
    a = audit_log.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(a.action, a.key).where(a.action.in_(actions)).order_by(a.seq))
        return [(r.action, r.key) for r in rows]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world_store(request, tmp_path_factory):
    """The world synced once per backend; the tests below run in file order on it."""
    if request.param == "sqlite":
        store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('recalls') / 'store.db'}")
        store.upgrade()
    else:
        store = Store.open(request.getfixturevalue("_pg_store_url"))
        _truncate(store)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path_factory.mktemp("home")))
        fill_store(store, monkeypatch)
    yield store
    store.close()


def count(store, table) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_preview_duplicate_guard_and_close(world_store):
    store = world_store
    gtin, lot = shipped_lot(store)
    before = recalls.preview(store, gtin, [lot], reason="burr on cannula")
    assert before.recall.recall_id == 0 and before.consignees, "the preview names the consignees"
    assert count(store, recall) == 0, "a preview records nothing"
    with pytest.raises(recalls.RecallError, match="no lot 'NOPE'"):
        recalls.preview(store, gtin, ["NOPE"], reason="x")

    first = recalls.create_recall(store, gtin, [lot], reason="burr on cannula", actor="sam")
    recorded = recalls.impact(store, first)
    assert [(c.name, c.shipped) for c in recorded.consignees] == [(c.name, c.shipped) for c in before.consignees]
    assert recorded.lots == before.lots and recorded.mass_balance == before.mass_balance

    label = f"{gtin} lot {lot}"
    assert recalls.open_recalls_of(store, [recalls.RecallItem(gtin, lot=lot)]) == {label: [first]}
    with pytest.raises(recalls.DuplicateRecall, match=f"recall {first}") as refused:
        recalls.create_recall(store, gtin, [lot], reason="again", actor="sam")
    assert refused.value.open_recalls == {label: [first]}
    assert [r.recall_id for r in recalls.list_recalls(store)] == [first], "the refusal wrote nothing"
    second = recalls.create_recall(store, gtin, [lot], reason="again, confirmed", actor="sam", allow_duplicate=True)

    closed = recalls.close_recall(store, first, "all units back in quarantine", "ada")
    assert (closed.status, closed.closed_by, closed.close_reason) == ("closed", "ada", "all units back in quarantine")
    assert closed.closed_at is not None and closed.closed_at >= closed.created_at
    assert recalls.get_recall(store, first) == closed
    with pytest.raises(recalls.RecallError, match="already closed"):
        recalls.close_recall(store, first, "twice", "ada")
    with pytest.raises(recalls.RecallError, match="needs a reason"):
        recalls.close_recall(store, second, "  ", "ada")
    with pytest.raises(LookupError, match="no recall 999"):
        recalls.close_recall(store, 999, "x", "ada")
    assert recalls.is_recalled(store, gtin, lot=lot), "a closed recall still marks its lot"
    assert recalls.open_recalls_of(store, [recalls.RecallItem(gtin, lot=lot)]) == {label: [second]}
    recalls.close_recall(store, second, "field correction done", "ada")
    assert recalls.open_recalls_of(store, [recalls.RecallItem(gtin, lot=lot)]) == {}
    assert audit_actions(store, "recall.create", "recall.close") == [
        ("recall.create", str(first)),
        ("recall.create", str(second)),
        ("recall.close", str(first)),
        ("recall.close", str(second)),
    ]


def test_the_consignee_csv_opens_in_excel_and_runs_no_formula(world_store):
    store = world_store
    gtin, lot = shipped_lot(store)
    report = recalls.preview(store, gtin, [lot], reason="x")
    hostile = report.consignees[0]
    hostile.name, hostile.phone = '=HYPERLINK("http://evil.example")', "+86 21 5555 0101"
    names = {gtin: {"name_en": "Suture kit", "name_zh": "缝合包"}}
    for lang, header, device_name in (
        ("en", "consignee", "Suture kit (缝合包)"),
        ("zh", "收货方", "缝合包 (Suture kit)"),
    ):
        text = to_consignee_csv(report, lang, names)
        assert text.startswith("\ufeff"), "a BOM, so Excel reads UTF-8"
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert rows[0][0] == header and len(rows[0]) == len(CONSIGNEE_COLUMNS)
        body = rows[1:]
        assert len(body) == sum(len(c.deliveries) for c in report.consignees)
        assert sum(Decimal(r[CONSIGNEE_COLUMNS.index("qty")]) for r in body) == sum(
            c.shipped for c in report.consignees
        )
        assert {r[0] for r in body if r[0].startswith("'=")} == {"'" + hostile.name}
        assert all(not r[i].startswith(("=", "+", "-", "@")) for r in body for i in range(len(r)) if i != 10)
        assert "'+86 21 5555 0101" in {r[CONSIGNEE_COLUMNS.index("phone")] for r in body}
        assert device_name in {r[CONSIGNEE_COLUMNS.index("device")] for r in body}
    assert [inert(v) for v in ("-1", "@x", "\tx", "ok", None, 5)] == ["'-1", "'@x", "'\tx", "ok", "", "5"]


def test_a_drill_times_each_step_records_itself_and_no_recall(world_store, tmp_path):
    store = world_store

    @contextmanager
    def opener():
        yield store

    recalls_before = count(store, recall)
    assert drill.pick_lot(store, seed=3) == drill.pick_lot(store, seed=3), "a seed picks the same lot"
    result = run_drill(opener, tmp_path / "drills", "sam", seed=3, lang="zh")
    assert [s.name for s in result.steps] == ["open store", "find lot", "impact", "consignees", "report written"]
    assert 0 < result.seconds_to_consignees <= result.seconds_total
    consignee_csv, html = result.files
    assert consignee_csv.read_text(encoding="utf-8").startswith("\ufeff收货方,")
    assert "召回演练" in html.read_text(encoding="utf-8")
    gtin, lot = shipped_lot(store)
    marked = recalls.is_recalled(store, gtin, lot=lot)
    named = run_drill(opener, tmp_path / "drills", "sam", lot=lot, gtin=gtin)
    assert (named.gtin, named.lot) == (gtin, lot) and named.consignees >= 1 and named.shipments >= 1
    assert count(store, recall) == recalls_before, "a drill records no recall"
    assert count(store, recall_drill) == 2
    latest = drill.recent_drills(store, limit=5)
    assert [d.drill_id for d in latest] == [named.drill_id, result.drill_id]
    assert latest[0].consignees == named.consignees and latest[0].shipments == named.shipments
    assert [(s.name, s.seconds) for s in latest[0].steps] == [
        (s.name, pytest.approx(s.seconds, abs=1e-3)) for s in named.steps
    ]
    assert latest[0].reports == [str(f) for f in named.files]
    assert audit_actions(store, "recall.drill") == [
        ("recall.drill", str(result.drill_id)),
        ("recall.drill", str(named.drill_id)),
    ]
    assert recalls.is_recalled(store, gtin, lot=lot) == marked, "a drill marks nothing"
    with pytest.raises(LookupError, match="no lot 'NOPE'"):
        drill.pick_lot(store, lot="NOPE")
