"""Recall traces come from trace_edge rows built at load time (architecture rule 6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trace_store.store import Store
from traceability.deliveries import Delivery, trace_lot, trace_serial

GTIN = "09506000134352"


def test_trace_lot_returns_each_shipment_with_summed_qty(store: Store, make) -> None:
    day2 = make.T0 + timedelta(days=1)
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(
        make.batch(
            run,
            [
                make.shipment(
                    "S2",
                    [make.line(1, lot="L1", qty=5)],
                    to="Ruijin Hospital",
                    region="CN-31",
                    order="SO-2",
                    shipped=day2,
                ),
                make.shipment(
                    "S1",
                    [
                        make.line(1, lot="L1", qty=2),
                        make.line(2, lot="L1", qty=3),
                        make.line(3, lot="L2", qty=9),
                    ],
                    order="SO-1",
                ),
                make.shipment("S3", [make.line(1, gtin="09506000134369", lot="L1")]),
            ],
        )
    )

    assert trace_lot(store, GTIN, "L1") == [
        Delivery("St. Mary Hospital", "CN-31", Decimal(5), make.T0, "S1", "SO-1", "shipbob", []),
        Delivery("Ruijin Hospital", "CN-31", Decimal(5), day2, "S2", "SO-2", "shipbob", []),
    ]
    assert trace_lot(store, GTIN, "NOPE") == []


def test_serials_are_listed_and_traceable(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(
        make.batch(
            run,
            [
                make.shipment("S1", [make.line(2, lot="L1", serial="SN-B"), make.line(1, lot="L1", serial="SN-A")]),
                make.shipment(
                    "S2",
                    [make.line(1, lot="L1", serial="SN-C")],
                    to="Huashan Hospital",
                    shipped=make.T0 + timedelta(hours=3),
                ),
            ],
        )
    )

    s1, s2 = trace_lot(store, GTIN, "L1")
    assert (s1.serials, s1.qty, s2.serials) == (["SN-A", "SN-B"], Decimal(2), ["SN-C"])
    (unit,) = trace_serial(store, GTIN, "SN-C")
    assert (unit.customer, unit.shipment_id, unit.serials) == ("Huashan Hospital", "S2", ["SN-C"])


def test_an_updated_shipment_moves_its_edges(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment("S1", [make.line(1, lot="L1")])]))
    fixed = make.shipment("S1", [make.line(1, lot="L2")], updated=make.T0 + timedelta(hours=1))
    store.commit_batch(make.batch(run, [fixed]))
    assert trace_lot(store, GTIN, "L1") == []
    assert [d.shipment_id for d in trace_lot(store, GTIN, "L2")] == ["S1"]


def test_trace_on_an_open_connection(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment("S1", [make.line(1)])]))
    with store.connect() as conn:
        assert len(trace_lot(conn, GTIN, "L1")) == 1
