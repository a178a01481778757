"""A consignee is reached at the person its latest shipped, addressed shipment went to."""

from __future__ import annotations

from collections import namedtuple
from datetime import timedelta
from decimal import Decimal

from data_dictionary.models import Device
from trace_store.store import Store
from traceability import recall


def test_the_latest_shipped_addressed_shipment_names_the_contact(store: Store, make) -> None:
    day = timedelta(days=1)

    def shipment(shipment_id: str, shipped, contact: str | None, to: str = "St. Mary Hospital"):
        record = make.shipment(shipment_id, [make.line(1)], shipped=shipped, to=to)
        email = f"{contact.lower()}@example.org" if contact else None
        return record.model_copy(update={"ship_to_contact": contact, "ship_to_email": email, "ship_to_phone": None})

    records = [
        shipment("S1", make.T0, "Ada"),
        shipment("S2", make.T0 + 2 * day, "Grace"),  # the latest addressed one
        shipment("S3", make.T0 + 3 * day, None),  # newer, but addressed to no one
        shipment("S4", make.T0 + day, "Linus"),
        shipment("S5", make.T0, "Edsger", to="Ruijin Clinic"),
        shipment("S6", make.T0, None, to="No Contact Pharmacy"),
    ]
    gtin = records[0].lines[0].gtin
    device = Device(source="erp", source_updated_at=make.T0, gtin=gtin, name_en="Infusion set", tracking="lot")
    for source, entity, batch_records in (("erp", "device", [device]), ("shipbob", "shipment", records)):
        run = store.begin_run(source, entity)
        store.commit_batch(make.batch(run, batch_records, source=source, entity=entity))
        store.finish_run(run)

    report = recall.impact(store, recall.create_recall(store, gtin, ["L1"], reason="test", actor="qa"))
    people = {c.name: (c.person, c.email) for c in report.consignees}
    assert people == {
        "St. Mary Hospital": ("Grace", "grace@example.org"),
        "Ruijin Clinic": ("Edsger", "edsger@example.org"),
        "No Contact Pharmacy": (None, None),
    }


def test_returns_read_the_same_whatever_order_the_walk_yields_their_lines(store: Store, make) -> None:
    """Two sources' return documents sharing an id fold into one return; its date and order come
    from the same line every time, not from whichever line the walk happened to yield first."""
    line = namedtuple("Line", "from_party doc_id gtin lot serial qty event_time order_number source line_no edge_id")
    clinic, gtin, day = "Ruijin Clinic", "09506000134352", timedelta(days=1)
    inbound = [
        line(clinic, "R1", gtin, "L1", None, Decimal(2), make.T0, "#1001", "shop", 1, "e1"),
        line(clinic, "R1", gtin, "L1", None, Decimal(1), make.T0 + day, "#2002", "wms", 1, "e2"),
    ]
    with store.connect() as conn:
        reports = [recall._consignees(conn, [], lines) for lines in (inbound, inbound[::-1])]
    assert reports[0] == reports[1]
    (consignee,) = reports[0]
    (returned,) = consignee.returns
    assert (returned.qty, returned.return_date, returned.order_number) == (Decimal(3), make.T0, "#1001")
