"""The trace graph at load time and the genealogy walks: inferred candidates, any order, depth, cycles."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from data_dictionary.models import BatchInput, BatchRecord, Lot
from trace_store import evidence
from trace_store.schema import trace_edge
from trace_store.store import Store
from traceability import genealogy

FIN, FIN2, COMP, RAW = "09506000134352", "09506000134369", "09506000134376", "09506000134383"


def batch(record_id: str, gtin: str, lot: str, inputs: list[tuple[str, str | None, int]], make, updated=None):
    return BatchRecord(
        source="erp",
        source_updated_at=updated or make.T0,
        record_id=record_id,
        production_order=f"MO-{record_id}",
        output_gtin=gtin,
        output_lot=lot,
        output_qty=Decimal(100),
        record_date=make.T0.date(),
        inputs=tuple(BatchInput(gtin=g, lot=lt, qty=Decimal(q)) for g, lt, q in inputs),
    )


def lots(gtin: str, names: list[str], make, supplier: str = "Acme Tubing") -> list[Lot]:
    return [Lot(source="erp", source_updated_at=make.T0, gtin=gtin, lot=n, manufacturer=supplier) for n in names]


def load(store: Store, make, entity: str, records: list, source: str = "erp") -> None:
    run = store.begin_run(source, entity)
    store.commit_batch(make.batch(run, records, source=source, entity=entity))
    store.finish_run(run)


def inferred_edges(store: Store) -> set[tuple[str, str | None, str | None, str]]:
    e = trace_edge.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(e.doc_id, e.gtin, e.lot, e.confidence).where(e.evidence == "inferred"))
        return {tuple(r) for r in rows}


def test_lots_loaded_after_the_batch_record_become_candidates(store: Store, make) -> None:
    load(store, make, "batch_record", [batch("B1", FIN, "F1", [(COMP, None, 7), (RAW, "R1", 3)], make)])
    assert inferred_edges(store) == {("B1", COMP, None, "inferred")}, "lot unknown until lots arrive"
    load(store, make, "lot", lots(COMP, ["C1", "C2"], make))
    assert inferred_edges(store) == {("B1", COMP, "C1", "inferred"), ("B1", COMP, "C2", "inferred")}
    load(store, make, "lot", lots(COMP, ["C3"], make) + lots(RAW, ["R9"], make))
    assert {lot for _, _, lot, _ in inferred_edges(store)} == {"C1", "C2", "C3"}

    traced = genealogy.backward(store, FIN, lot="F1")
    assert sorted((i.gtin, i.lot, i.evidence, i.qty, i.supplier) for i in traced.inputs()) == [
        (COMP, "C1", "inferred", Decimal(7), "Acme Tubing"),
        (COMP, "C2", "inferred", Decimal(7), "Acme Tubing"),
        (COMP, "C3", "inferred", Decimal(7), "Acme Tubing"),
        (RAW, "R1", "produced_from", Decimal(3), None),
    ]


def test_same_edges_whichever_source_loads_first(store: Store, make, tmp_path) -> None:
    records = [batch("B1", FIN, "F1", [(COMP, None, 7)], make), batch("B2", FIN, "F2", [(COMP, None, 2)], make)]
    load(store, make, "lot", lots(COMP, ["C1", "C2"], make))
    load(store, make, "batch_record", records)
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    other.upgrade()
    load(other, make, "batch_record", records)
    load(other, make, "lot", lots(COMP, ["C1", "C2"], make))
    e = trace_edge.c
    with store.connect() as a, other.connect() as b:
        query = sa.select(trace_edge).order_by(e.edge_id)
        assert [tuple(r) for r in a.execute(query)] == [tuple(r) for r in b.execute(query)]
    other.close()
    assert len(inferred_edges(store)) == 4


def test_an_updated_batch_record_replaces_its_inferred_edges(store: Store, make) -> None:
    load(store, make, "lot", lots(COMP, ["C1", "C2"], make))
    load(store, make, "batch_record", [batch("B1", FIN, "F1", [(COMP, None, 7)], make)])
    load(store, make, "batch_record", [batch("B2", FIN, "F2", [(COMP, None, 1)], make)])
    fixed = batch("B1", FIN, "F1", [(COMP, "C2", 7)], make, updated=make.T0 + timedelta(hours=1))
    load(store, make, "batch_record", [fixed])
    assert {(doc, lot) for doc, _, lot, _ in inferred_edges(store)} == {("B2", "C1"), ("B2", "C2")}
    (only,) = genealogy.backward(store, FIN, lot="F1").inputs()
    assert (only.lot, only.evidence, only.path_confidence) == ("C2", "produced_from", "recorded")
    load(store, make, "lot", lots(COMP, ["C1"], make, supplier="Renamed"))  # newer lot version: no duplicates
    assert len(inferred_edges(store)) == 2


def test_forward_marks_everything_reached_through_an_inferred_edge(store: Store, make) -> None:
    load(store, make, "lot", lots(COMP, ["C1", "C2"], make))
    load(store, make, "batch_record", [batch("B1", FIN, "F1", [(COMP, None, 7)], make)])
    load(store, make, "shipment", [make.shipment("S1", [make.line(1, gtin=FIN, lot="F1", qty=4)])], source="shipbob")
    traced = genealogy.forward(store, COMP, lot="C2")
    assert [(e.depth, e.evidence, e.path_confidence) for e in traced.edges] == [
        (1, "inferred", "inferred"),
        (2, "shipped", "inferred"),
    ]
    assert traced.consignees() == {"St. Mary Hospital": {f"{FIN}|F1": Decimal(4)}}
    (shipped,) = [e for e in traced.edges if e.evidence == "shipped"]
    assert (shipped.doc_id, shipped.order_number, shipped.to_region) == ("S1", "SO-1", "CN-31")


def chain(store: Store, make) -> None:
    """RAW R1 -> COMP C1 -> FIN F1 -> FIN2 G1 (a kit), each step shipped somewhere."""
    load(
        store,
        make,
        "batch_record",
        [
            batch("B1", COMP, "C1", [(RAW, "R1", 5)], make),
            batch("B2", FIN, "F1", [(COMP, "C1", 4)], make),
            batch("B3", FIN2, "G1", [(FIN, "F1", 3)], make),
        ],
    )
    load(
        store,
        make,
        "shipment",
        [
            make.shipment("S1", [make.line(1, gtin=FIN, lot="F1", qty=2)], to="Huashan Hospital"),
            make.shipment("S2", [make.line(1, gtin=FIN2, lot="G1", qty=1)], to="Ruijin Hospital"),
        ],
        source="shipbob",
    )


def test_depth_limits_both_directions(store: Store, make) -> None:
    chain(store, make)
    full = genealogy.forward(store, RAW, lot="R1")
    assert [(e.depth, e.evidence, e.doc_id) for e in full.edges] == [
        (1, "produced_from", "B1"),
        (2, "produced_from", "B2"),
        (3, "produced_from", "B3"),
        (3, "shipped", "S1"),
        (4, "shipped", "S2"),
    ]
    assert set(full.consignees()) == {"Huashan Hospital", "Ruijin Hospital"}
    assert [e.doc_id for e in genealogy.forward(store, RAW, lot="R1", depth=2).edges] == ["B1", "B2"]
    assert set(genealogy.forward(store, RAW, lot="R1", depth=3).consignees()) == {"Huashan Hospital"}
    back = genealogy.backward(store, FIN2, lot="G1")
    assert [(i.depth, i.lot) for i in back.inputs()] == [(1, "F1"), (2, "C1"), (3, "R1")]
    assert [i.lot for i in genealogy.backward(store, FIN2, lot="G1", depth=1).inputs()] == ["F1"]
    with pytest.raises(ValueError, match="depth"):
        genealogy.forward(store, RAW, lot="R1", depth=0)
    with pytest.raises(ValueError, match="exactly one"):
        genealogy.backward(store, FIN, lot="F1", serial="S")


@pytest.mark.timeout(30)
def test_cycles_end_and_list_each_edge_once(store: Store, make) -> None:
    load(
        store,
        make,
        "batch_record",
        [
            batch("B1", FIN, "A", [(FIN, "B", 1)], make),
            batch("B2", FIN, "B", [(FIN, "C", 1)], make),
            batch("B3", FIN, "C", [(FIN, "A", 1)], make),
            batch("B4", FIN2, "S", [(FIN2, "S", 1)], make),
        ],
    )
    (loop,) = genealogy.forward(store, FIN2, lot="S").edges
    assert (loop.doc_id, loop.depth) == ("B4", 1)
    for walk in (genealogy.forward, genealogy.backward):
        edges = walk(store, FIN, lot="A").edges
        assert sorted(e.doc_id for e in edges) == ["B1", "B2", "B3"], walk
        assert [e.depth for e in edges] == [1, 2, 3]


def test_serial_backward_uses_the_lot_of_its_shipment_line(store: Store, make) -> None:
    load(store, make, "batch_record", [batch("B1", FIN, "F1", [(COMP, "C1", 4)], make)])
    load(store, make, "shipment", [make.shipment("S1", [make.line(1, gtin=FIN, lot="F1", serial="SN-1")])], "shipbob")
    (only,) = genealogy.backward(store, FIN, serial="SN-1").inputs()
    assert (only.gtin, only.lot, only.output_lot) == (COMP, "C1", "F1")
    assert genealogy.forward(store, FIN, serial="SN-1").consignees(per="serial") == {
        "St. Mary Hospital": {f"{FIN}|SN-1": Decimal(1)}
    }
    assert genealogy.backward(store, FIN, serial="SN-404").edges == []


def test_an_unregistered_evidence_kind_is_refused_with_its_document(store: Store, make) -> None:
    edge = {
        "edge_id": "x",
        "evidence": "teleported",
        "confidence": "recorded",
        "source": "s",
        "doc_id": "D9",
        "line_no": 1,
    }
    with pytest.raises(ValueError, match=r"\(s/D9 line 1\): evidence 'teleported'.*trace_store/evidence.py"):
        evidence.check([edge])
    assert evidence.register("shipped", "outbound") == evidence.EVIDENCE["shipped"]
    with pytest.raises(ValueError, match="already registered"):
        evidence.register("shipped", "inbound")


def test_concurrent_loaders_of_lots_and_batch_records_miss_no_candidate(store: Store, make) -> None:
    """PostgreSQL, READ COMMITTED: the GTIN's advisory lock makes the later loader see the earlier one's rows."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    from trace_store.loader import write_batch

    lot_run = store.begin_run("erp", "lot")
    batch_run = store.begin_run("erp", "batch_record")
    record = batch("B1", FIN, "F1", [(COMP, None, 7)], make)
    done = threading.Event()

    def load_batch_record() -> None:
        store.commit_batch(make.batch(batch_run, [record], source="erp", entity="batch_record"))
        done.set()

    with store.transaction() as conn:
        write_batch(conn, make.batch(lot_run, lots(COMP, ["C1"], make), source="erp", entity="lot"))
        other = threading.Thread(target=load_batch_record)
        other.start()
        assert not done.wait(1.0), "the batch record loader waits for the GTIN lock"
    other.join(30)
    assert done.is_set()
    assert inferred_edges(store) == {("B1", COMP, "C1", "inferred")}
