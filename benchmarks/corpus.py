"""Benchmark data: raw pages cloned from a generated world, and synthetic canonical shipments."""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors import shipbob
from connectors.base import RawRecord
from data_dictionary.models import Shipment, ShipmentLine

PAGE = 250
CLONE_STRIDE = 10_000_000
CUSTOMERS = [f"Hospital {i:04d}" for i in range(2000)]


def _lines(kind: str, payload: dict[str, Any]) -> int:
    if kind == "shopify":
        return len(payload.get("line_items") or [])
    return sum(
        len(item.get("serial_numbers") or []) or 1
        for shipment in payload.get("shipments") or []
        for product in shipment.get("products") or []
        for item in product.get("inventory_items") or []
    )


def _clone(kind: str, payload: dict[str, Any], k: int) -> list[RawRecord]:
    """The k-th copy of a platform record under fresh ids, as its connector lands it."""
    clone = copy.deepcopy(payload)
    clone["id"] = payload["id"] + k * CLONE_STRIDE
    if kind == "shipbob":
        for shipment in clone.get("shipments") or []:
            shipment["id"] += k * CLONE_STRIDE
            shipment["order_id"] = clone["id"]
        clone["order_number"] = str(int(clone["order_number"]) + k * CLONE_STRIDE)
        return shipbob.shipment_records(clone)
    clone["name"] = f"#{clone['order_number'] + k * CLONE_STRIDE}"
    stamp = datetime.fromisoformat(clone["updated_at"]).astimezone(UTC)
    return [RawRecord(str(clone["id"]), stamp, clone)]


@functools.cache
def _world(seed: int) -> Any:
    """The generated world the corpus clones (made once per process: every fresh store needs its devices)."""
    from simulators.world import generate_world

    return generate_world(seed, 2.0)


def device_master(seed: int = 42) -> list[Any]:
    """The ERP's devices of the corpus world (SKU, GTIN, tracking): warehouse lines resolve through them."""
    from data_dictionary.models import Device

    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Device(
            source="erp",
            source_updated_at=when,
            gtin=p["barcode"],
            sku=p["default_code"],
            name_en=p["name"],
            tracking=p["tracking"],
        )
        for p in _world(seed).odoo["product.product"]
    ]


def clone_pages(kind: str, min_lines: int, seed: int = 42) -> tuple[list[list[RawRecord]], int]:
    """Pages of raw records (as a connector yields them) with at least `min_lines` line records."""
    made = list(stream_pages(kind, min_lines, seed))
    return [page for page, _ in made], sum(lines for _, lines in made)


def stream_pages(kind: str, min_lines: int, seed: int = 42) -> Iterator[tuple[list[RawRecord], int]]:
    """The pages of `clone_pages` with their line records, made as they are pulled: a run over
    millions of lines holds one page of them at a time."""
    originals = _world(seed).shipbob_orders if kind == "shipbob" else _world(seed).shopify_orders
    page: list[RawRecord] = []
    lines = total = k = 0
    while total < min_lines:
        for payload in originals:
            page.extend(_clone(kind, payload, k))
            n = _lines(kind, payload)
            lines, total = lines + n, total + n
            if len(page) >= PAGE:
                yield page[:PAGE], lines
                page, lines = page[PAGE:], 0
        k += 1
    while page:
        yield page[:PAGE], lines
        page, lines = page[PAGE:], 0


def shipment_records(
    source: str, min_lines: int, lines_per_shipment: int = 10, chunk: int = 2000
) -> Iterator[tuple[list[Shipment], list[tuple[str, str]], int]]:
    """Synthetic canonical shipments, about 50 lines per lot, yielded in load-sized chunks."""
    rng = random.Random(7)
    gtins = [_gtin(i) for i in range(200)]
    lots = [(rng.choice(gtins), f"L{i:05d}-{i % 7}/{i % 13:02d}") for i in range(max(1, min_lines // 50))]
    customers = CUSTOMERS
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = 0
    n = 0
    while made < min_lines:
        batch: list[Shipment] = []
        used: list[tuple[str, str]] = []
        for _ in range(chunk):
            picks = [rng.choice(lots) for _ in range(lines_per_shipment)]
            used.extend(picks)
            n += 1
            when = start + timedelta(minutes=n)
            batch.append(
                Shipment(
                    source=source,
                    source_updated_at=when,
                    shipment_id=str(n),
                    order_number=str(100000 + n),
                    ship_date=when,
                    ship_to_name=rng.choice(customers),
                    carrier="SF Express",
                    lines=tuple(
                        ShipmentLine(line_no=i + 1, gtin=g, lot=lot, tracking="lot", qty=Decimal(rng.randint(1, 20)))
                        for i, (g, lot) in enumerate(picks)
                    ),
                )
            )
            made += lines_per_shipment
        yield batch, used, chunk * lines_per_shipment


def _gtin(i: int) -> str:
    body = f"0695{1000000 + i:07d}{i % 10:02d}"[:13]
    total = sum(int(d) * (3 if idx % 2 == 0 else 1) for idx, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def master_records(
    source: str, lots: list[tuple[str, str]], customers: list[str], components_per_lot: int = 2
) -> Iterator[list[Any]]:
    """ERP and warehouse master data for the synthetic shipments, in load-sized chunks per entity.

    Every finished lot gets a device, a lot row, a batch record consuming `components_per_lot`
    supplier lots (drawn from a pool of 500, so one component lot feeds many finished lots), and
    stock on hand; every consignee a party. Loaded through the real loader, this builds the
    produced-from edges a component recall walks.
    """
    from data_dictionary.models import BatchInput, BatchRecord, Device, InventoryLevel, Lot, Party

    rng = random.Random(11)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    components = [(_gtin(900 + i % 20), f"C{i:04d}-S/{i % 9}") for i in range(500)]
    gtins = sorted({g for g, _ in lots} | {g for g, _ in components})
    yield [Device(source=source, source_updated_at=when, gtin=g, name_en=f"Device {g}", tracking="lot") for g in gtins]
    yield [
        Party(
            source=source,
            source_updated_at=when,
            external_id=str(i),
            role="hospital",
            name=name,
            region="Zhejiang",
            email=f"purchasing{i}@hospital.example",
            phone="+86 571 0000 0000",
        )
        for i, name in enumerate(customers)
    ]
    all_lots = lots + components
    for start in range(0, len(all_lots), 5000):
        yield [
            Lot(source=source, source_updated_at=when, gtin=g, lot=lot, qc_status="released", manufacturer="Supplier A")
            for g, lot in all_lots[start : start + 5000]
        ]
    for start in range(0, len(lots), 5000):
        chunk = lots[start : start + 5000]
        yield [
            BatchRecord(
                source=source,
                source_updated_at=when,
                record_id=f"MO{start + i}",
                production_order=f"MO{start + i}",
                output_gtin=g,
                output_lot=lot,
                output_qty=Decimal(2000),
                qc_decision="released",
                inputs=tuple(
                    BatchInput(gtin=cg, lot=cl, qty=Decimal(500))
                    for cg, cl in rng.sample(components, components_per_lot)
                ),
            )
            for i, (g, lot) in enumerate(chunk)
        ]
        yield [
            InventoryLevel(
                source=source,
                source_updated_at=when,
                item_ref=g,
                gtin=g,
                lot=lot,
                location="Suzhou DC",
                on_hand=Decimal(100),
            )
            for g, lot in chunk
        ]
