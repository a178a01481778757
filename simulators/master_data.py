"""ERP master data of the world: devices, components, parties, lots and their batch records.

Produces the Odoo records (product.product, res.partner, stock.lot, mrp.production, stock.move,
stock.move.line) in the shape of a standard Odoo 17 with Inventory, MRP and Invoicing, plus the
in-memory view the sales generator needs to ship lots realistically. Fields a customer adds with
Odoo Studio (`x_studio_*`: Chinese name, registration number, QC status, ...) are written only
when the world is generated with `studio=True`, and are then declared as the database's custom
fields (`STUDIO_FIELDS`), as a real database would have them.

Datetimes are naive UTC strings, as Odoo stores them. The company works in Asia/Shanghai: an
expiry date entered as 2028-02-29 is stored as `2028-02-28 16:00:00`.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from simulators import catalog
from simulators.catalog import ComponentSpec, DeviceSpec, Province
from simulators.formats import SHOP_TZ, odoo_datetime
from simulators.gs1 import make_gtin14

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LAST_PRODUCTION = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
CNY = [7, "CNY"]
UNITS = [1, "Units"]
COMPANY = [1, catalog.MANUFACTURER[0]]
CHINA = [48, "China"]
LOT_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
STREETS = ("Shangtang", "Zhongshan", "Renmin", "Jiefang", "Yan'an", "Huaihai", "Wenyi", "Binjiang")

STUDIO_FIELDS: dict[str, tuple[str, ...]] = {
    "product.product": ("x_studio_name_zh", "x_studio_model", "x_studio_registration_no", "x_studio_risk_class"),
    "res.partner": ("x_studio_role", "x_studio_licence_no"),
    "stock.lot": ("x_studio_production_date", "x_studio_qc_status", "x_studio_manufacturer"),
    "mrp.production": ("x_studio_qc_decision", "x_studio_inspector"),
}
"""Custom fields the customer made with Odoo Studio, per model: present only in a `studio` world."""


def local_midnight_utc(day: date) -> str:
    """Odoo's stored value of a datetime entered as `day` 00:00 in the company's time zone."""
    return odoo_datetime(datetime.combine(day, time(), tzinfo=SHOP_TZ))


@dataclass
class Device:
    """A finished device and its identities on every platform."""

    spec: DeviceSpec
    number: int
    gtin: str
    odoo_id: int
    shipbob_id: int
    """ShipBob inventory item id (shipment inventory_items[].id, inventory-level inventory_id)."""
    shipbob_product_id: int
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
    produced: datetime
    expiry: date
    qc: str
    qty: int
    remaining: int
    first_serial: int = 0
    shippable: bool = True
    committed: int = 0
    """Units allocated to a shipment that has not left yet: still on hand, not for others."""

    @property
    def available(self) -> int:
        return self.remaining - self.committed

    def take(self, qty: int) -> list[str]:
        """Remove `qty` units; for serial-tracked devices return their serial numbers."""
        start = self.first_serial + self.qty - self.remaining
        self.remaining -= qty
        if self.device.spec.tracking != "serial":
            return []
        return [f"SN{self.device.number:02d}{n:07d}" for n in range(start, start + qty)]


@dataclass
class Customer:
    """A hospital or distributor: a Shopify customer, a ShipBob recipient and an Odoo partner.

    `contact` is the purchasing person (an Odoo child contact, the Shopify customer's name and
    the ShipBob recipient's `name`); the company is the consignee.
    """

    name: str
    role: str
    province: Province
    city: str
    address1: str
    odoo_id: int
    contact: str
    email: str
    phone: str
    shopify: dict


@dataclass
class MasterData:
    """What the sales generator needs, plus the Odoo records produced so far."""

    devices: list[Device]
    lots: dict[str, list[FinishedLot]]
    customers: list[Customer]
    studio: bool
    odoo: dict[str, list[dict]] = field(default_factory=dict)
    makers: dict[int, str] = field(default_factory=dict)
    """Odoo lot id -> who made the lot (supplier or manufacturer), whether or not the ERP says so."""


def generate_master_data(rng: random.Random, scale: float, odoo_ids: Iterator[int], studio: bool) -> MasterData:
    """Devices, parties, component lots and finished lots (each with its production order)."""
    odoo: dict[str, list[dict]] = {
        m: []
        for m in ("product.product", "res.partner", "stock.lot", "mrp.production", "stock.move", "stock.move.line")
    }
    builder = _Odoo(odoo, odoo_ids, studio)
    devices = _devices(builder)
    component_ids = _components(builder)
    manufacturer = builder.partner(
        catalog.MANUFACTURER[0], "MFR-01", "manufacturer", _province(catalog.MANUFACTURER[1]), catalog.MANUFACTURER[2]
    )
    suppliers = [
        builder.partner(
            name,
            f"SUP-{i + 1:02d}",
            "supplier",
            _province(region),
            f"91{_province(region).admin_code}MA{rng.randint(10**7, 10**8 - 1)}",
        )
        for i, (name, region) in enumerate(catalog.SUPPLIERS)
    ]
    customers = _customers(rng, scale, builder)
    component_lots = _component_lots(rng, scale, builder, component_ids, suppliers)
    lots = _finished_lots(rng, scale, builder, devices, component_ids, component_lots, manufacturer)
    return MasterData(devices, lots, customers, studio, odoo, builder.makers)


def _province(name: str) -> Province:
    return next(p for p in catalog.PROVINCES if p.name == name)


class _Odoo:
    """Writes Odoo records with standard fields, adding the Studio fields only in a studio world."""

    def __init__(self, odoo: dict[str, list[dict]], ids: Iterator[int], studio: bool) -> None:
        self.odoo = odoo
        self.ids = ids
        self.studio = studio
        self.makers: dict[int, str] = {}

    def add(self, model: str, record: dict, custom: dict | None = None) -> dict:
        if self.studio and custom:
            record.update(custom)
        self.odoo[model].append(record)
        return record

    def product(self, code: str, barcode: str, name: str, tracking: str, price: float, written: datetime) -> dict:
        product_id = next(self.ids)
        return {
            "id": product_id,
            "default_code": code,
            "barcode": barcode,
            "name": name,
            "detailed_type": "product",
            "tracking": tracking,
            "uom_id": UNITS,
            "list_price": price,
            "active": True,
            "product_tmpl_id": [product_id + 100000, name],
            "write_date": odoo_datetime(written),
        }

    def partner(self, name: str, ref: str, role: str, province: Province, licence: str, **more: object) -> list:
        """Append one company res.partner; return its many2one value `[id, name]`."""
        partner_id = next(self.ids)
        record = {
            "id": partner_id,
            "name": name,
            "ref": ref,
            "is_company": True,
            "company_type": "company",
            "customer_rank": 1 if role in ("hospital", "distributor") else 0,
            "supplier_rank": 1 if role == "supplier" else 0,
            "state_id": [catalog.PROVINCES.index(province) + 501, f"{province.name} (CN)"],
            "country_id": CHINA,
            "active": True,
            "parent_id": False,
            "write_date": odoo_datetime(START + timedelta(hours=1, seconds=len(self.odoo["res.partner"]) * 7)),
            **more,
        }
        self.add("res.partner", record, {"x_studio_role": role, "x_studio_licence_no": licence})
        return [partner_id, name]


def _devices(odoo: _Odoo) -> list[Device]:
    devices = []
    for number, spec in enumerate(catalog.DEVICES, start=1):
        gtin = make_gtin14(catalog.COMPANY_PREFIX, f"5{number:04d}")
        record = odoo.product(
            spec.sku, gtin, spec.name_en, spec.tracking, spec.unit_price_cents / 100, START + timedelta(minutes=number)
        )
        odoo.add(
            "product.product",
            record,
            {
                "x_studio_name_zh": spec.name_zh,
                "x_studio_model": spec.model,
                "x_studio_registration_no": spec.registration_no,
                "x_studio_risk_class": spec.risk_class,
            },
        )
        devices.append(Device(spec, number, gtin, record["id"], 50 + number, 1000 + number))
    return devices


def _components(odoo: _Odoo) -> list[int]:
    ids = []
    for number, spec in enumerate(catalog.COMPONENTS, start=1):
        record = odoo.product(
            spec.code,
            make_gtin14(spec.company_prefix, f"{number:05d}"),
            spec.name_en,
            "lot",
            1.0,
            START + timedelta(minutes=30 + number),
        )
        odoo.add(
            "product.product",
            record,
            {
                "x_studio_name_zh": spec.name_zh,
                "x_studio_model": False,
                "x_studio_registration_no": False,
                "x_studio_risk_class": False,
            },
        )
        ids.append(record["id"])
    return ids


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


def phone(rng: random.Random) -> str:
    return f"+86 {rng.randint(20, 999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _customers(rng: random.Random, scale: float, odoo: _Odoo) -> list[Customer]:
    """Hospitals and distributors: a company partner each, with its purchasing contact as a child."""
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
            number = len(customers) + 1
            email = f"purchasing{number:04d}@{city.lower()}-{role}.example"
            address1 = f"{rng.randint(1, 999)} {rng.choice(STREETS)} Rd"
            first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
            company_phone = phone(rng)
            odoo_id = odoo.partner(
                name, ref, role, province, licence, email=email, phone=company_phone, street=address1, city=city
            )[0]
            contact = f"{first} {last}"
            odoo.odoo["res.partner"].append(
                {
                    "id": next(odoo.ids),
                    "name": contact,
                    "ref": False,
                    "is_company": False,
                    "company_type": "person",
                    "customer_rank": 0,
                    "supplier_rank": 0,
                    "state_id": [catalog.PROVINCES.index(province) + 501, f"{province.name} (CN)"],
                    "country_id": CHINA,
                    "active": True,
                    "parent_id": [odoo_id, name],
                    "email": email,
                    "phone": company_phone,
                    "street": address1,
                    "city": city,
                    "write_date": odoo_datetime(START + timedelta(hours=2, seconds=number * 7)),
                    **({"x_studio_role": False, "x_studio_licence_no": False} if odoo.studio else {}),
                }
            )
            shopify = {
                "id": 7000 + number,
                "email": email,
                "first_name": first,
                "last_name": last,
                "default_address": {
                    "company": name,
                    "address1": address1,
                    "city": city,
                    "province": province.name,
                    "province_code": province.code,
                    "country_code": "CN",
                },
            }
            customers.append(
                Customer(name, role, province, city, address1, odoo_id, contact, email, company_phone, shopify)
            )
    return customers


@dataclass
class ComponentLot:
    odoo_id: int
    name: str
    produced: datetime


def _component_lots(
    rng: random.Random,
    scale: float,
    odoo: _Odoo,
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
            lots.append(ComponentLot(next(odoo.ids), name, produced))
            _lot(
                odoo,
                lots[-1].odoo_id,
                name,
                [product_id, _display(spec)],
                produced.astimezone(SHOP_TZ).date(),
                produced.astimezone(SHOP_TZ).date() + timedelta(days=1095),
                "released",
                suppliers[spec.supplier],
                produced + timedelta(hours=6),
            )
        result.append(lots)
    return result


def _display(spec: ComponentSpec) -> str:
    return f"[{spec.code}] {spec.name_en}"


def _lot(
    odoo: _Odoo,
    lot_id: int,
    name: str,
    product: list,
    produced: date,
    expiry: date,
    qc: str,
    manufacturer: list,
    written: datetime,
) -> None:
    odoo.makers[lot_id] = manufacturer[1]
    odoo.add(
        "stock.lot",
        {
            "id": lot_id,
            "name": name,
            "product_id": product,
            "company_id": COMPANY,
            "expiration_date": local_midnight_utc(expiry),
            "ref": False,
            "write_date": odoo_datetime(written),
        },
        {
            "x_studio_production_date": produced.isoformat(),
            "x_studio_qc_status": qc,
            "x_studio_manufacturer": manufacturer,
        },
    )


def _qc_status(rng: random.Random, first: bool) -> str:
    draw = rng.random()
    if first or draw >= 0.09:
        return "released"
    return "on_hold" if draw < 0.05 else "rejected"


def _finished_lots(
    rng: random.Random,
    scale: float,
    odoo: _Odoo,
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
    for produced, device, first in planned:
        spec = device.spec
        key = (device.number, f"{produced:%y%m}")
        month_counts[key] = month_counts.get(key, 0) + 1
        name = f"L{produced:%y%m}-{LOT_LETTERS[device.number - 1]}/{month_counts[key]:02d}"
        qty = round(sum(spec.order_qty) / len(spec.order_qty) * rng.randint(8, 14))
        qc = _qc_status(rng, first)
        local_day = produced.astimezone(SHOP_TZ).date()
        lot = FinishedLot(
            device,
            name,
            next(odoo.ids),
            produced,
            local_day + timedelta(days=spec.shelf_life_days),
            qc,
            qty,
            qty,
            first_serial=device.next_serial,
            shippable=qc == "released",
        )
        device.next_serial += qty
        lots.setdefault(spec.sku, []).append(lot)
        decided = produced + timedelta(hours=rng.randint(2, 30))
        _lot(
            odoo,
            lot.odoo_id,
            name,
            [device.odoo_id, device.display_name],
            local_day,
            lot.expiry,
            qc,
            manufacturer,
            decided,
        )
        _production(rng, odoo, lot, qty, decided, component_ids, component_lots, produced_at)
    return lots


def _production(
    rng: random.Random,
    odoo: _Odoo,
    lot: FinishedLot,
    qty: int,
    decided: datetime,
    component_ids: list[int],
    component_lots: list[list[ComponentLot]],
    produced_at: list[list[datetime]],
) -> None:
    """The mrp.production that made `lot`: one stock.move per component, one move line per lot consumed."""
    production_id = next(odoo.ids)
    name = f"WH/MO/{len(odoo.odoo['mrp.production']) + 1:05d}"
    move_ids = []
    for component in lot.device.spec.components:
        candidates = component_lots[component]
        available = bisect.bisect_right(produced_at[component], lot.produced)
        chosen = candidates[rng.randrange(max(available - 2, 0), max(available, 1))]
        spec = catalog.COMPONENTS[component]
        product = [component_ids[component], _display(spec)]
        move_id = next(odoo.ids)
        quantity = round(qty * spec.per_unit, 2)
        line_id = next(odoo.ids)
        odoo.odoo["stock.move.line"].append(
            {
                "id": line_id,
                "move_id": [move_id, f"{name} - {_display(spec)}"],
                "product_id": product,
                "lot_id": [chosen.odoo_id, chosen.name],
                "lot_name": False,
                "quantity": quantity,
                "picked": True,
                "state": "done",
                "reference": name,
                "date": odoo_datetime(lot.produced),
                "company_id": COMPANY,
            }
        )
        move_ids.append(move_id)
        odoo.odoo["stock.move"].append(
            {
                "id": move_id,
                "name": name,
                "product_id": product,
                "product_uom_qty": quantity,
                "quantity": quantity,
                "lot_ids": [chosen.odoo_id],
                "move_line_ids": [line_id],
                "raw_material_production_id": [production_id, name],
                "state": "done",
                "picked": True,
                "company_id": COMPANY,
            }
        )
    odoo.add(
        "mrp.production",
        {
            "id": production_id,
            "name": name,
            "product_id": [lot.device.odoo_id, lot.device.display_name],
            "lot_producing_id": [lot.odoo_id, lot.name],
            "product_qty": float(qty),
            "qty_produced": float(qty),
            "date_start": odoo_datetime(lot.produced - timedelta(hours=6)),
            "date_finished": odoo_datetime(lot.produced),
            "state": "done",
            "move_raw_ids": move_ids,
            "company_id": COMPANY,
            "write_date": odoo_datetime(decided),
        },
        {"x_studio_qc_decision": lot.qc, "x_studio_inspector": rng.choice(catalog.INSPECTORS)},
    )
