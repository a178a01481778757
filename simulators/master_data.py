"""ERP master data of the world: devices, components, parties, lots and their batch records.

Produces the Odoo records (product.product, res.partner, stock.lot, mrp.production,
stock.move) plus the in-memory view the sales generator needs to ship lots realistically.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from simulators import catalog
from simulators.catalog import ComponentSpec, DeviceSpec, Province
from simulators.formats import odoo_datetime
from simulators.gs1 import make_gtin14

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LAST_PRODUCTION = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
CNY = [7, "CNY"]
UNITS = [1, "Units"]
LOT_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
STREETS = ("Shangtang", "Zhongshan", "Renmin", "Jiefang", "Yan'an", "Huaihai", "Wenyi", "Binjiang")


@dataclass
class Device:
    """A finished device and its identities on every platform."""

    spec: DeviceSpec
    number: int
    gtin: str
    odoo_id: int
    shipbob_id: int
    next_serial: int = 1

    @property
    def display_name(self) -> str:
        return f"[{self.spec.sku}] {self.spec.name_en}"


@dataclass
class FinishedLot:
    """A produced lot with what is left of it to ship; serials are handed out in order."""

    device: Device
    name: str
    odoo_id: int
    inventory_id: int
    produced: datetime
    expiry: date
    qc: str
    qty: int
    remaining: int
    first_serial: int = 0
    shippable: bool = True

    def take(self, qty: int) -> list[str]:
        """Remove `qty` units; for serial-tracked devices return their serial numbers."""
        start = self.first_serial + self.qty - self.remaining
        self.remaining -= qty
        if self.device.spec.tracking != "serial":
            return []
        return [f"SN{self.device.number:02d}{n:07d}" for n in range(start, start + qty)]


@dataclass
class Customer:
    """A hospital or distributor: a Shopify customer, a ShipBob recipient and an Odoo partner."""

    name: str
    role: str
    province: Province
    city: str
    address1: str
    odoo_id: int
    shopify: dict


@dataclass
class MasterData:
    """What the sales generator needs, plus the Odoo records produced so far."""

    devices: list[Device]
    lots: dict[str, list[FinishedLot]]
    customers: list[Customer]
    odoo: dict[str, list[dict]] = field(default_factory=dict)


def generate_master_data(rng: random.Random, scale: float, odoo_ids: Iterator[int]) -> MasterData:
    """Devices, parties, component lots and finished lots (each with its production order)."""
    odoo: dict[str, list[dict]] = {
        m: [] for m in ("product.product", "res.partner", "stock.lot", "mrp.production", "stock.move")
    }
    devices = _devices(odoo_ids, odoo["product.product"])
    component_ids = _components(odoo_ids, odoo["product.product"])
    partners = odoo["res.partner"]
    manufacturer = _partner(
        odoo_ids,
        partners,
        catalog.MANUFACTURER[0],
        "MFR-01",
        "manufacturer",
        _province(catalog.MANUFACTURER[1]),
        catalog.MANUFACTURER[2],
    )
    suppliers = [
        _partner(
            odoo_ids,
            partners,
            name,
            f"SUP-{i + 1:02d}",
            "supplier",
            _province(region),
            f"91{_province(region).admin_code}MA{rng.randint(10**7, 10**8 - 1)}",
        )
        for i, (name, region) in enumerate(catalog.SUPPLIERS)
    ]
    customers = _customers(rng, scale, odoo_ids, partners)
    component_lots = _component_lots(rng, scale, odoo_ids, odoo["stock.lot"], component_ids, suppliers)
    lots = _finished_lots(rng, scale, odoo_ids, odoo, devices, component_ids, component_lots, manufacturer)
    return MasterData(devices, lots, customers, odoo)


def _province(name: str) -> Province:
    return next(p for p in catalog.PROVINCES if p.name == name)


def _devices(odoo_ids: Iterator[int], products: list[dict]) -> list[Device]:
    devices = []
    for number, spec in enumerate(catalog.DEVICES, start=1):
        device = Device(
            spec, number, make_gtin14(catalog.COMPANY_PREFIX, f"5{number:04d}"), next(odoo_ids), 50 + number
        )
        products.append(
            {
                "id": device.odoo_id,
                "default_code": spec.sku,
                "barcode": device.gtin,
                "name": spec.name_en,
                "x_studio_name_zh": spec.name_zh,
                "x_studio_model": spec.model,
                "x_studio_registration_no": spec.registration_no,
                "x_studio_risk_class": spec.risk_class,
                "tracking": spec.tracking,
                "uom_id": UNITS,
                "list_price": spec.unit_price_cents / 100,
                "write_date": odoo_datetime(START + timedelta(minutes=number)),
            }
        )
        devices.append(device)
    return devices


def _components(odoo_ids: Iterator[int], products: list[dict]) -> list[int]:
    ids = []
    for number, spec in enumerate(catalog.COMPONENTS, start=1):
        ids.append(next(odoo_ids))
        products.append(
            {
                "id": ids[-1],
                "default_code": spec.code,
                "barcode": make_gtin14(spec.company_prefix, f"{number:05d}"),
                "name": spec.name_en,
                "x_studio_name_zh": spec.name_zh,
                "x_studio_model": False,
                "x_studio_registration_no": False,
                "x_studio_risk_class": False,
                "tracking": "lot",
                "uom_id": UNITS,
                "list_price": 1.0,
                "write_date": odoo_datetime(START + timedelta(minutes=30 + number)),
            }
        )
    return ids


def _partner(
    odoo_ids: Iterator[int], partners: list[dict], name: str, ref: str, role: str, province: Province, licence: str
) -> list:
    """Append one res.partner; return its many2one value `[id, name]`."""
    partner_id = next(odoo_ids)
    partners.append(
        {
            "id": partner_id,
            "name": name,
            "ref": ref,
            "x_studio_role": role,
            "state_id": [catalog.PROVINCES.index(province) + 501, f"{province.name} (CN)"],
            "x_studio_licence_no": licence,
            "write_date": odoo_datetime(START + timedelta(hours=1, seconds=len(partners) * 7)),
        }
    )
    return [partner_id, name]


def _unique_names(rng: random.Random, count: int, patterns: tuple[str, ...], words: tuple[str, ...]) -> list[tuple]:
    """`count` distinct (name, province, city): shuffled combinations, then numbered variants."""
    places = [(p, c) for p in catalog.PROVINCES for c in p.cities]
    combos = [(pattern.format(city=c, word=w), p, c) for p, c in places for pattern in patterns for w in words]
    rng.shuffle(combos)
    names = combos[:count]
    for n in itertools.count(2):
        if len(names) >= count:
            break
        names.extend((f"{name} (Branch {n})", p, c) for name, p, c in combos[: count - len(names)])
    return names


def _customers(rng: random.Random, scale: float, odoo_ids: Iterator[int], partners: list[dict]) -> list[Customer]:
    hospitals = _unique_names(rng, max(5, round(25 * scale)), catalog.HOSPITAL_PATTERNS, ("",))
    distributors = _unique_names(
        rng, max(2, round(6 * scale)), ("{city} {word} Medical Supply Co., Ltd.",), catalog.DISTRIBUTOR_WORDS
    )
    customers: list[Customer] = []
    for role, names in (("hospital", hospitals), ("distributor", distributors)):
        for index, (name, province, city) in enumerate(names, start=1):
            if role == "hospital":
                licence = f"PDY{rng.randint(10**7, 10**8 - 1)}{province.admin_code}A1001"
                ref = f"HOSP-{index:04d}"
            else:
                licence = f"{province.abbr}药监械经营许{rng.randint(2015, 2025)}{rng.randint(1, 9999):04d}号"
                ref = f"DIST-{index:04d}"
            odoo_id = _partner(odoo_ids, partners, name, ref, role, province, licence)[0]
            number = len(customers) + 1
            shopify = {
                "id": 7000 + number,
                "email": f"purchasing{number:04d}@{city.lower()}-{role}.example",
                "first_name": rng.choice(catalog.FIRST_NAMES),
                "last_name": rng.choice(catalog.LAST_NAMES),
                "default_address": {
                    "company": name,
                    "province": province.name,
                    "province_code": province.code,
                    "country_code": "CN",
                },
            }
            address1 = f"{rng.randint(1, 999)} {rng.choice(STREETS)} Rd"
            customers.append(Customer(name, role, province, city, address1, odoo_id, shopify))
    return customers


@dataclass
class ComponentLot:
    odoo_id: int
    name: str
    produced: datetime


def _component_lots(
    rng: random.Random,
    scale: float,
    odoo_ids: Iterator[int],
    lot_records: list[dict],
    component_ids: list[int],
    suppliers: list[list],
) -> list[list[ComponentLot]]:
    """Supplier lots per component, the first received on day one, sorted by production."""
    per_component = max(2, round(4 * scale))
    span = (LAST_PRODUCTION - START) / per_component
    result = []
    for spec, product_id in zip(catalog.COMPONENTS, component_ids, strict=True):
        lots = []
        for i in range(per_component):
            produced = START - timedelta(hours=8) + span * i + timedelta(hours=rng.randint(0, 48) if i else 0)
            name = f"{spec.code[3:6]}{produced:%y%m}-{i + 1:03d}"
            lots.append(ComponentLot(next(odoo_ids), name, produced))
            lot_records.append(
                _lot_record(
                    lots[-1].odoo_id,
                    name,
                    [product_id, _display(spec)],
                    produced.date(),
                    produced.date() + timedelta(days=1095),
                    "released",
                    suppliers[spec.supplier],
                    produced + timedelta(hours=6),
                )
            )
        result.append(lots)
    return result


def _display(spec: ComponentSpec) -> str:
    return f"[{spec.code}] {spec.name_en}"


def _lot_record(
    lot_id: int, name: str, product: list, produced: date, expiry: date, qc: str, manufacturer: list, written: datetime
) -> dict:
    return {
        "id": lot_id,
        "name": name,
        "product_id": product,
        "expiration_date": odoo_datetime(datetime(expiry.year, expiry.month, expiry.day, tzinfo=UTC)),
        "x_studio_production_date": produced.isoformat(),
        "x_studio_qc_status": qc,
        "x_studio_manufacturer": manufacturer,
        "write_date": odoo_datetime(written),
    }


def _qc_status(rng: random.Random, first: bool) -> str:
    draw = rng.random()
    if first or draw >= 0.09:
        return "released"
    return "on_hold" if draw < 0.05 else "rejected"


def _finished_lots(
    rng: random.Random,
    scale: float,
    odoo_ids: Iterator[int],
    odoo: dict[str, list[dict]],
    devices: list[Device],
    component_ids: list[int],
    component_lots: list[list[ComponentLot]],
    manufacturer: list,
) -> dict[str, list[FinishedLot]]:
    """Lots of every device spread over the half year, each with its mrp.production and moves."""
    total = max(2 * len(devices), round(60 * scale))
    per_device = [total // len(devices) + (1 if i < total % len(devices) else 0) for i in range(len(devices))]
    produced_at = [[c.produced for c in lots] for lots in component_lots]
    lots: dict[str, list[FinishedLot]] = {}
    planned = []
    for device, count in zip(devices, per_device, strict=True):
        span = (LAST_PRODUCTION - START) / count
        for i in range(count):
            produced = START + span * i + timedelta(minutes=rng.randint(0, 60 * 36))
            planned.append((produced, device, i == 0))
    planned.sort(key=lambda p: (p[0], p[1].number))
    month_counts: dict[tuple[int, str], int] = {}
    inventory_ids = itertools.count(810)
    for produced, device, first in planned:
        spec = device.spec
        key = (device.number, f"{produced:%y%m}")
        month_counts[key] = month_counts.get(key, 0) + 1
        name = f"L{produced:%y%m}-{LOT_LETTERS[device.number - 1]}/{month_counts[key]:02d}"
        qty = round(sum(spec.order_qty) / len(spec.order_qty) * rng.randint(8, 14))
        qc = _qc_status(rng, first)
        lot = FinishedLot(
            device,
            name,
            next(odoo_ids),
            next(inventory_ids),
            produced,
            produced.date() + timedelta(days=spec.shelf_life_days),
            qc,
            qty,
            qty,
            first_serial=device.next_serial,
            shippable=qc == "released",
        )
        device.next_serial += qty
        lots.setdefault(spec.sku, []).append(lot)
        decided = produced + timedelta(hours=rng.randint(2, 30))
        odoo["stock.lot"].append(
            _lot_record(
                lot.odoo_id,
                name,
                [device.odoo_id, device.display_name],
                produced.date(),
                lot.expiry,
                qc,
                manufacturer,
                decided,
            )
        )
        _production(rng, odoo_ids, odoo, lot, qty, decided, component_ids, component_lots, produced_at)
    return lots


def _production(
    rng: random.Random,
    odoo_ids: Iterator[int],
    odoo: dict[str, list[dict]],
    lot: FinishedLot,
    qty: int,
    decided: datetime,
    component_ids: list[int],
    component_lots: list[list[ComponentLot]],
    produced_at: list[list[datetime]],
) -> None:
    """The mrp.production that made `lot` and its stock.moves consuming one lot per component."""
    production_id = next(odoo_ids)
    name = f"WH/MO/{len(odoo['mrp.production']) + 1:05d}"
    move_ids = []
    for component in lot.device.spec.components:
        candidates = component_lots[component]
        available = bisect.bisect_right(produced_at[component], lot.produced)
        chosen = candidates[rng.randrange(max(available - 2, 0), max(available, 1))]
        spec = catalog.COMPONENTS[component]
        move_ids.append(next(odoo_ids))
        odoo["stock.move"].append(
            {
                "id": move_ids[-1],
                "product_id": [component_ids[component], _display(spec)],
                "quantity": round(qty * spec.per_unit, 2),
                "lot_ids": [chosen.odoo_id],
                "raw_material_production_id": [production_id, name],
            }
        )
    odoo["mrp.production"].append(
        {
            "id": production_id,
            "name": name,
            "product_id": [lot.device.odoo_id, lot.device.display_name],
            "lot_producing_id": [lot.odoo_id, lot.name],
            "product_qty": float(qty),
            "qty_produced": float(qty),
            "date_finished": odoo_datetime(lot.produced),
            "state": "done",
            "x_studio_qc_decision": lot.qc,
            "x_studio_inspector": rng.choice(catalog.INSPECTORS),
            "move_raw_ids": move_ids,
            "write_date": odoo_datetime(decided),
        }
    )
