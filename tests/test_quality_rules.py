"""Every entity suite against records with planted defects: exact rules, field paths and values."""

from __future__ import annotations

import gc
import os
import signal
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from data_dictionary.failures import RuleFailure
from data_dictionary.models import (
    BatchInput,
    BatchRecord,
    Device,
    Invoice,
    InvoiceLine,
    Lot,
    Order,
    OrderLine,
    Party,
    Shipment,
    ShipmentLine,
)
from quality_checks import validate

GTIN = "06951234500016"
GTIN_B = "04006381333931"
BAD_GTIN = "06951234500017"
BAD_GTIN_13 = "4006381333932"
ONE = Decimal(1)
UPDATED = datetime(2026, 3, 1, tzinfo=UTC)
SHIPPED = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def rules(result: dict[int, list[RuleFailure]]) -> dict[int, list[tuple[str, str]]]:
    return {index: [(f.rule, f.field) for f in failures] for index, failures in result.items()}


def shipment(*lines: ShipmentLine) -> Shipment:
    return Shipment(
        source="shipbob",
        source_updated_at=UPDATED,
        shipment_id="SH1",
        ship_date=SHIPPED,
        ship_to_name="Ruijin Hospital",
        lines=lines,
    )


def sline(**changes: Any) -> ShipmentLine:
    values: dict[str, Any] = {
        "line_no": 1,
        "gtin": GTIN,
        "tracking": "lot",
        "lot": "L2603-A/07",
        "expiry_date": date(2028, 1, 31),
        "qty": Decimal("3"),
    }
    return ShipmentLine(**{**values, **changes})


def test_clean_shipments_pass():
    batch = [
        shipment(
            sline(),
            # a null GTIN is a structure question, not a check-digit failure
            sline(gtin=None, tracking="none", lot=None, expiry_date=None),
            sline(tracking="serial", lot=None, serial="SN001", udi_raw=f"(01){GTIN}(17)280100(21)SN001"),
            sline(expiry_date=SHIPPED.date()),  # expires on the ship day: still good
            sline(udi_raw=f"\x1d01{GTIN}17280131\x1d10L2603-A/07"),
        ),
        shipment(),  # no lines, nothing to check
    ]
    assert validate("shipment", batch) == {}


def test_batches_validated_in_turn_and_on_two_threads_each_get_their_own_failures():
    """Validation keeps nothing from one batch to the next, in one thread or across two."""
    bad = [shipment(sline(gtin=BAD_GTIN)), shipment(sline())]
    clean = [shipment(sline())]
    expected = {0: [("gtin_check_digit", "lines[0].gtin")]}
    assert rules(validate("shipment", bad)) == expected
    assert validate("shipment", clean) == {}
    assert validate("shipment", [shipment()]) == {}  # a header frame only
    assert rules(validate("shipment", bad)) == expected
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda batch: rules(validate("shipment", batch)), [bad, clean] * 4))
    assert results == [expected, {}] * 4


def test_what_the_caller_holds_is_freed_when_validation_returns_without_waiting_for_a_collection():
    """GX's runs leave reference cycles (caught errors and their tracebacks) that no frame of the
    caller's may be part of: a sync's batch would then live on until the next full collection."""

    class Batch:
        pass

    def validate_holding_a_batch() -> weakref.ref[Batch]:
        held = Batch()  # as a sync's frame holds its batch while it validates the records
        assert rules(validate("shipment", [shipment(sline(gtin=BAD_GTIN)), shipment(sline())])) == {
            0: [("gtin_check_digit", "lines[0].gtin")]
        }
        return weakref.ref(held)

    enabled = gc.isenabled()
    gc.disable()
    try:
        assert validate_holding_a_batch()() is None
    finally:
        if enabled:
            gc.enable()


def test_a_forked_child_validates_with_a_gx_worker_of_its_own():
    """The parent's GX worker answers the parent; the child's first run must not wait for it."""
    from quality_checks import gx_run

    bad = [shipment(sline(gtin=BAD_GTIN))]
    assert gx_run.submit(os.getpid).result() != os.getpid()  # the parent's worker runs
    pid = os.fork()
    if pid == 0:  # the child: its exit status is the answer
        ok = False
        try:
            ok = rules(validate("shipment", bad)) == {0: [("gtin_check_digit", "lines[0].gtin")]}
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 180  # the child's worker imports GX first
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert done[0] == pid and os.waitstatus_to_exitcode(done[1]) == 0


def test_a_pending_shipments_provisional_lines_are_stored_as_they_are():
    """Serials are scanned and quantities settled at pack: what has not left is not held to that yet."""
    pending = shipment(
        sline(lot=None), sline(tracking="serial", lot=None, serial=None), sline(qty=Decimal(0))
    ).model_copy(update={"status": "pending", "ship_date": None})
    assert validate("shipment", [pending]) == {}
    shipped = pending.model_copy(update={"status": "shipped", "ship_date": SHIPPED})
    assert rules(validate("shipment", [shipped])) == {
        0: [("lot_required", "lines[0].lot"), ("serial_required", "lines[1].serial"), ("qty_positive", "lines[2].qty")]
    }


def test_a_shipped_shipment_needs_its_ship_date():
    undated = shipment(sline()).model_copy(update={"ship_date": None})
    assert rules(validate("shipment", [undated])) == {0: [("ship_date_required", "ship_date")]}


def test_shipment_rules_fail_on_the_right_lines():
    batch = [
        shipment(sline()),
        shipment(
            sline(),
            sline(gtin=BAD_GTIN, qty=Decimal("0")),
            sline(lot="  "),
            sline(tracking="serial", lot=None, serial=None),
        ),
        shipment(sline(expiry_date=date(2026, 3, 9)), sline(lot=None, tracking=None)),
        shipment(
            sline(udi_raw=f"(01){GTIN}(17)280131(10)L2603-A/08"),
            sline(gtin=BAD_GTIN, udi_raw=f"(01){BAD_GTIN}(17)280131(10)L2603-A/07"),  # check digit only
            sline(udi_raw="not a barcode"),
            sline(udi_raw=f"(01){GTIN_B}(17)290131(10)L2603-A/07(21)X1"),
        ),
    ]
    result = validate("shipment", batch)
    assert rules(result) == {
        1: [
            ("gtin_check_digit", "lines[1].gtin"),
            ("qty_positive", "lines[1].qty"),
            ("lot_required", "lines[2].lot"),
            ("serial_required", "lines[3].serial"),
        ],
        2: [("not_expired_at_ship", "lines[0].expiry_date")],
        3: [
            ("udi_consistent", "lines[0].udi_raw"),
            ("gtin_check_digit", "lines[1].gtin"),
            ("udi_consistent", "lines[2].udi_raw"),
            ("udi_consistent", "lines[3].udi_raw"),
        ],
    }
    qty, expired = result[1][1], result[2][0]
    assert (qty.value, qty.severity) == ("0", "error")
    assert result[1][2].value == "  "
    assert expired.value == "2026-03-09"
    assert "2026-03-10" in expired.message
    assert "lot L2603-A/08 but the line has L2603-A/07" in result[3][0].message
    assert "cannot be read" in result[3][2].message
    mismatch = result[3][3].message
    assert all(part in mismatch for part in ("GTIN", "serial X1", "expiry date 2029-01-31"))
    assert result[3][0].severity == "error"


def test_lot_rules():
    def lot(**changes: Any) -> Lot:
        values: dict[str, Any] = {
            "source": "erp",
            "source_updated_at": UPDATED,
            "gtin": GTIN,
            "lot": "L1",
            "production_date": date(2026, 1, 1),
            "expiry_date": date(2028, 1, 1),
        }
        return Lot(**{**values, **changes})

    batch = [
        lot(),
        lot(gtin=BAD_GTIN),
        lot(expiry_date=date(2026, 1, 1)),  # equal to production: not after it
        lot(lot=" "),
        lot(gtin="123", expiry_date=date(2025, 1, 1), lot=""),
        lot(production_date=None),
        lot(expiry_date=None),
    ]
    result = validate("lot", batch)
    assert rules(result) == {
        1: [("gtin_check_digit", "gtin")],
        2: [("expiry_after_production", "expiry_date")],
        3: [("lot_not_blank", "lot")],
        4: [
            ("gtin_check_digit", "gtin"),
            ("expiry_after_production", "expiry_date"),
            ("lot_not_blank", "lot"),
        ],
    }
    assert result[2][0].value == "2026-01-01"
    assert "2026-01-01" in result[2][0].message


def test_batch_record_rules():
    def record(output_gtin: str = GTIN, output_qty: str = "100", *inputs: BatchInput) -> BatchRecord:
        return BatchRecord(
            source="erpnext",
            source_updated_at=UPDATED,
            record_id="B1",
            production_order="MO1",
            output_gtin=output_gtin,
            output_lot="L1",
            output_qty=Decimal(output_qty),
            inputs=inputs,
        )

    batch = [
        record(GTIN, "100", BatchInput(gtin=GTIN_B, lot="S1", qty=Decimal(2)), BatchInput(qty=ONE)),
        record(BAD_GTIN, "0", BatchInput(gtin=GTIN_B, qty=-ONE), BatchInput(gtin=BAD_GTIN_13, qty=ONE)),
        record(GTIN, "5"),
    ]
    result = validate("batch_record", batch)
    assert rules(result) == {
        1: [
            ("gtin_check_digit", "output_gtin"),
            ("qty_positive", "output_qty"),
            ("qty_positive", "inputs[0].qty"),
            ("gtin_check_digit", "inputs[1].gtin"),
        ],
    }
    assert result[1][2].value == "-1"


def test_order_rules():
    def order(currency: str, *lines: tuple[str, str]) -> Order:
        return Order(
            source="shopify",
            source_updated_at=UPDATED,
            order_number="1001",
            external_id="1",
            order_date=UPDATED,
            currency=currency,
            lines=tuple(
                OrderLine(line_no=i + 1, qty=Decimal(qty), unit_price=Decimal(price))
                for i, (qty, price) in enumerate(lines)
            ),
        )

    batch = [
        order("CNY", ("1", "9.90"), ("2", "0")),
        order("RMB", ("1", "1"), ("0", "1"), ("1", "-0.01")),
        order("USD", ("-2", "-5")),
    ]
    result = validate("order", batch)
    assert rules(result) == {
        1: [
            ("currency_iso4217", "currency"),
            ("qty_positive", "lines[1].qty"),
            ("price_non_negative", "lines[2].unit_price"),
        ],
        2: [("qty_positive", "lines[0].qty"), ("price_non_negative", "lines[0].unit_price")],
    }
    assert result[1][0].value == "RMB"
    assert result[1][2].value == "-0.01"


def test_invoice_rules():
    def invoice(currency: str, *qtys: str) -> Invoice:
        return Invoice(
            source="odoo",
            source_updated_at=UPDATED,
            invoice_number="INV1",
            invoice_date=date(2026, 3, 2),
            currency=currency,
            lines=tuple(InvoiceLine(line_no=n, qty=Decimal(q), unit_price=ONE) for n, q in enumerate(qtys)),
        )

    result = validate("invoice", [invoice("EUR", "1"), invoice("EURO", "1", "0"), invoice("CNY", "-3")])
    assert rules(result) == {
        1: [("currency_iso4217", "currency"), ("qty_positive", "lines[1].qty")],
        2: [("qty_positive", "lines[0].qty")],
    }


def test_device_rules():
    def device(gtin: str) -> Device:
        return Device(source="erp", source_updated_at=UPDATED, gtin=gtin, name_en="Infusion", tracking="lot")

    result = validate("device", [device(GTIN), device("96385074"), device(BAD_GTIN), device("069512345000X")])
    assert rules(result) == {2: [("gtin_check_digit", "gtin")], 3: [("gtin_check_digit", "gtin")]}
    assert result[2][0].value == BAD_GTIN


def test_party_has_no_rules_and_empty_batches_are_clean():
    party = Party(source="erp", source_updated_at=UPDATED, external_id="P1", role="hospital", name="")
    assert validate("party", [party]) == {}
    assert validate("shipment", []) == {}


def test_wrong_entity_or_record_type_is_refused():
    with pytest.raises(ValueError, match="unknown entity 'parcel'"):
        validate("parcel", [])
    with pytest.raises(TypeError, match=r"records\[0\] is a Shipment, not a Lot"):
        validate("lot", [shipment()])


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended; its reaper is init
    except FileNotFoundError:
        return True


def test_the_gx_worker_ends_with_a_process_that_ended_without_shutting_it_down():
    """A task process may end with os._exit: its GX worker must not live on, waiting for work."""
    from quality_checks import gx_run

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child starts a worker, tells its pid, and ends without any clean-up
        try:
            os.write(write, str(gx_run.submit(os.getpid).result()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        worker = int(answer.read())
    os.waitpid(pid, 0)
    assert worker not in (pid, os.getpid())
    deadline = time.monotonic() + 30
    while not _ended(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = _ended(worker)
    if not ended:
        os.kill(worker, signal.SIGKILL)
    assert ended, "the orphaned GX worker was still running after 30 s"


def test_validation_runs_in_a_worker_process_beside_the_caller():
    """GX holds the interpreter while it runs: in a process of its own, it runs beside the mapping."""
    from quality_checks import gx_run
    from quality_checks.validation import start_validation

    pending = start_validation("shipment", [shipment(sline(gtin=BAD_GTIN))])
    assert gx_run.submit(os.getpid).result() != os.getpid()
    assert rules(pending.failures()) == {0: [("gtin_check_digit", "lines[0].gtin")]}
