"""`tracehub trace lot|serial` as a user runs it: both directions, depth, JSON, evidence on every edge."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest
from commands import tracehub

from data_dictionary.models import BatchInput, BatchRecord, Lot, Record
from trace_store.store import Store

FIN, COMP = "09506000134352", "09506000134376"


def trace_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return tracehub(*args, env={"TRACEHUB_DB_URL": url, "COLUMNS": "220"})


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from conftest import Make

    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'store.db'}"
    store = Store.open(url)
    store.upgrade()
    record = BatchRecord(
        source="erp",
        source_updated_at=Make.T0,
        record_id="B1",
        production_order="MO-1",
        output_gtin=FIN,
        output_lot="F1",
        output_qty=Decimal(10),
        inputs=(BatchInput(gtin=COMP, qty=Decimal(6)),),
    )
    comps = [Lot(source="erp", source_updated_at=Make.T0, gtin=COMP, lot=n, manufacturer="Acme") for n in ("C1", "C2")]
    shipment = Make.shipment("S1", [Make.line(1, gtin=FIN, lot="F1", serial="SN-1"), Make.line(2, gtin=FIN, lot="F1")])
    loads: list[tuple[str, list[Record], str]] = [
        ("batch_record", [record], "erp"),
        ("lot", list(comps), "erp"),
        ("shipment", [shipment], "shipbob"),
    ]
    for entity, records, source in loads:
        run = store.begin_run(source, entity)
        store.commit_batch(Make.batch(run, records, source=source, entity=entity))
        store.finish_run(run)
    store.close()
    return url


def test_lot_json_has_deliveries_and_both_directions(url: str) -> None:
    done = trace_cli(url, "trace", "lot", FIN, "F1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [(d["customer"], float(d["qty"]), d["shipment_id"]) for d in data["deliveries"]] == [
        ("St. Mary Hospital", 2, "S1")
    ]
    assert {e["evidence"] for e in data["forward"]["edges"]} == {"shipped"}
    assert {c: {k: float(q) for k, q in items.items()} for c, items in data["forward"]["consignees"].items()} == {
        "St. Mary Hospital": {f"{FIN}|F1": 2}
    }
    assert sorted((i["lot"], i["evidence"], i["supplier"]) for i in data["backward"]["inputs"]) == [
        ("C1", "inferred", "Acme"),
        ("C2", "inferred", "Acme"),
    ]


def test_component_lot_forward_table_labels_every_edge(url: str) -> None:
    done = trace_cli(url, "trace", "lot", COMP, "C1", "--direction", "forward")
    assert done.returncode == 0, done.stderr
    assert "inferred" in done.stdout and "shipped" in done.stdout and "St. Mary Hospital" in done.stdout
    shallow = json.loads(trace_cli(url, "trace", "lot", COMP, "C1", "--depth", "1", "--json").stdout)
    assert [e["evidence"] for e in shallow["forward"]["edges"]] == ["inferred"]
    assert "backward" in shallow and shallow["deliveries"] == []


def test_serial_backward_table_shows_inputs_and_suppliers(url: str) -> None:
    done = trace_cli(url, "trace", "serial", FIN, "SN-1", "--direction", "backward")
    assert done.returncode == 0, done.stderr
    assert "made from 2 input lots of 1 suppliers" in done.stdout and "Acme" in done.stdout
    assert "inferred" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trace", "lot", FIN, "NOPE"), "no trace of GTIN"),
        (("trace", "lot", FIN, "F1", "--direction", "sideways"), "sideways"),
        (("trace", "lot", FIN, "F1", "--depth", "0"), "--depth"),
    ],
)
def test_bad_requests_are_one_clear_line(url: str, args: tuple[str, ...], message: str) -> None:
    done = trace_cli(url, *args)
    assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr


def test_an_80_column_terminal_gets_whole_lots_and_names_what_it_left_out(url: str) -> None:
    done = tracehub("trace", "lot", COMP, "C1", env={"TRACEHUB_DB_URL": url, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    row = next(line for line in lines if "St. Mary Hospital" in line)
    assert " F1 " in row and " S1 " in row and "inferred" in row, "lots, shipments and confidence are shown whole"
    assert f"{COMP} C1  {FIN} F1" in done.stdout, "the lot it went into is named whole"
    assert any(line.startswith("not shown at this width:") for line in lines)
