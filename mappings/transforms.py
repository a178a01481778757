"""Named value transforms and row expanders that mapping specs refer to by name.

A transform factory takes the arguments written in the spec and returns a function
``value -> value``; factories run once when a spec is compiled, so the returned functions do
no parsing of their own configuration on the hot path. A transform that cannot convert its
input raises `MappingError` with what it expected; the engine turns that into a quarantine
`RuleFailure` naming the raw payload path. The engine does not call a transform with None
unless it is in `NONE_AWARE` (`default`, `if_present`, `false_none`), so optional fields stay
optional without every transform checking for None.

Expanders produce several rows from one raw element where one platform record holds several
canonical lines (a ShipBob inventory item with one serial per unit, an Odoo stock move that
consumed several lots).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from data_dictionary.udi import parse_udi

Transform = Callable[[Any], Any]
_ONE = Decimal(1)


class MappingError(ValueError):
    """A raw value does not have the shape or format the spec expects."""

    def __init__(self, message: str, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value


def to_decimal(value: Any) -> Decimal:
    """Exact decimal from a JSON string or number; floats go through their shortest repr."""
    if type(value) is str:  # the usual case first: JSON money amounts are strings
        return _decimal_text(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MappingError("expected a number, got a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return _decimal_text(value)
    raise MappingError(f"expected a number, got {type(value).__name__}")


def _decimal_text(value: str) -> Decimal:
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise MappingError("expected a decimal number") from None
    if not result.is_finite():
        raise MappingError("expected a finite decimal number")
    return result


def to_utc_datetime(value: Any) -> datetime:
    """ISO 8601 datetime that carries its UTC offset, converted to UTC."""
    if not isinstance(value, str):
        raise MappingError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MappingError("expected an ISO 8601 datetime with UTC offset") from None
    if parsed.tzinfo is None:
        raise MappingError("expected an ISO 8601 datetime with UTC offset, got a naive time")
    return parsed.astimezone(UTC)


def naive_utc_datetime(value: Any) -> datetime:
    """Odoo's ``YYYY-MM-DD HH:MM:SS``: naive, UTC by convention."""
    if not isinstance(value, str):
        raise MappingError(f"expected a datetime string 'YYYY-MM-DD HH:MM:SS', got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MappingError("expected a datetime 'YYYY-MM-DD HH:MM:SS' (UTC)") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_date(value: Any) -> date:
    """ISO 8601 date; a datetime string gives its date part as written (no zone conversion)."""
    if not isinstance(value, str):
        raise MappingError(f"expected an ISO 8601 date string, got {type(value).__name__}")
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).date()
    except ValueError:
        raise MappingError("expected an ISO 8601 date 'YYYY-MM-DD'") from None


def _local_date(zone: ZoneInfo) -> Transform:
    """A datetime as the calendar date it is in the source's time zone; a plain date stays as it is.

    Platforms store moments in UTC (Odoo's naive `YYYY-MM-DD HH:MM:SS` is UTC by convention): an
    expiry entered as 2028-02-29 in Asia/Shanghai is stored as 2028-02-28 16:00:00, so taking
    the date part would put it a day early.
    """

    def local_date(value: Any) -> date:
        if not isinstance(value, str):
            raise MappingError(f"expected an ISO 8601 date or datetime string, got {type(value).__name__}")
        if len(value) == 10:
            return to_date(value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise MappingError("expected an ISO 8601 date or datetime") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(zone).date()

    return local_date


def _site_datetime(zone: ZoneInfo) -> Transform:
    """Frappe's naive local time of the site -> UTC-aware datetime.

    Frappe stores `modified` and `creation` as `YYYY-MM-DD HH:MM:SS[.ffffff]` in the site's time zone (the source's
    `timezone`), and a posting moment as a Date and a Time field: given `[posting_date, posting_time]`, the two
    are joined. A Time may come as Python writes a timedelta (`9:05:00`).
    """

    def site_datetime(value: Any) -> datetime:
        if isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value):
            day, clock = value
            value = f"{day} {'0' + clock if clock[1:2] == ':' else clock}"
        if not isinstance(value, str):
            raise MappingError(f"expected a datetime string 'YYYY-MM-DD HH:MM:SS', got {type(value).__name__}")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise MappingError("expected a datetime 'YYYY-MM-DD HH:MM:SS' in the site's time zone") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC)

    return site_datetime


def _finished_row(field: str) -> Transform:
    """A field of the finished-goods row of a Frappe Stock Entry's `items` (`is_finished_item`).

    The produced lot is the row's `batch_no`, or the first entry of its Serial and Batch Bundle when the
    connector fetched the bundle into the row.
    """

    def finished_row(rows: Any) -> Any:
        if not isinstance(rows, list):
            raise MappingError(f"expected the list of stock entry rows, got {type(rows).__name__}")
        for row in rows:
            if isinstance(row, dict) and row.get("is_finished_item"):
                value = row.get(field)
                bundle = row.get("serial_and_batch_bundle")
                if value in (None, "") and field == "batch_no" and isinstance(bundle, dict):
                    entries = bundle.get("entries") or [{}]
                    value = entries[0].get("batch_no") if isinstance(entries[0], dict) else None
                return value
        raise MappingError("no row with is_finished_item set: not a Manufacture entry")

    return finished_row


def to_str(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise MappingError(f"expected a string or integer, got {type(value).__name__}")


def to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MappingError(f"expected an integer, got {type(value).__name__}")
    try:
        return int(value)
    except ValueError:
        raise MappingError("expected an integer") from None


def strip_hash(value: Any) -> str:
    """Order numbers are compared without Shopify's display ``#``: "#1001" -> "1001"."""
    return to_str(value).strip().lstrip("#").strip()


def normalize_gtin(value: Any) -> str | None:
    """Digits only, left-padded to GTIN-14. The check digit is a quality rule, not checked here."""
    if type(value) is str and len(value) == 14 and value.isascii() and value.isdigit():
        return value
    digits = "".join(ch for ch in to_str(value) if ch.isdigit())
    if not digits:
        return None
    if len(digits) > 14:
        raise MappingError("expected a GTIN of at most 14 digits")
    return digits.zfill(14)


def many2one_id(value: Any) -> Any:
    """Odoo many2one as ``[id, "name"]`` or an expanded record dict -> id."""
    if isinstance(value, list) and len(value) == 2:
        return value[0]
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    raise MappingError('expected an Odoo many2one [id, "name"]')


def many2one_name(value: Any) -> Any:
    """Odoo many2one as ``[id, "name"]`` or an expanded record dict -> display name.

    A plain string passes through: a customer's custom field may be a char field where the
    standard one is a relation.
    """
    if isinstance(value, list) and len(value) == 2:
        return value[1]
    if isinstance(value, dict) and "name" in value:
        return value["name"]
    if isinstance(value, str):
        return value
    raise MappingError('expected an Odoo many2one [id, "name"]')


def decimal_sum(value: Any) -> Decimal:
    """Sum of a list of money amounts (e.g. every tax line of an order line)."""
    if not isinstance(value, list):
        raise MappingError(f"expected a list of amounts, got {type(value).__name__}")
    total = Decimal(0)
    for item in value:
        if item is not None:
            total += to_decimal(item)
    return total


def _lookup(table: dict[Any, Any]) -> Transform:
    allowed = ", ".join(sorted(str(key) for key in table))

    def lookup(value: Any) -> Any:
        try:
            return table[value]
        except (KeyError, TypeError):
            raise MappingError(f"expected one of: {allowed}") from None

    return lookup


def _default(fallback: Any) -> Transform:
    return lambda value: fallback if value is None else value


def _if_present(result: Any) -> Transform:
    """A constant when the value is set (e.g. a cancellation time -> status "cancelled")."""
    return lambda value: None if value is None or value is False else result


def _strip_suffix(suffix: str) -> Transform:
    return lambda value: to_str(value).removesuffix(suffix)


def _first_flag(labels: list[Any]) -> Transform:
    """The label of the first set flag in a list of flags, else the last label.

    A flag is set when it is true or a positive number: ``[supplier_rank, customer_rank]``
    with labels ``[supplier, customer, other]`` gives an Odoo partner's role.
    """

    def is_set(flag: Any) -> bool:
        if flag is None or isinstance(flag, bool):
            return bool(flag)
        if not isinstance(flag, int | float):
            raise MappingError(f"expected flags (true/false or numbers), got {type(flag).__name__}")
        return flag > 0

    def first_flag(flags: Any) -> Any:
        for flag, label in zip(flags, labels, strict=False):
            if is_set(flag):
                return label
        return labels[-1]

    return first_flag


def _udi(part: str) -> Transform:
    """One element of a UDI scan (lot, serial, gtin, expiry_date, production_date)."""
    if part not in {"gtin", "lot", "serial", "expiry_date", "production_date"}:
        raise ValueError(f"unknown UDI part {part!r}")

    def udi(value: Any) -> Any:
        return getattr(parse_udi(value), part)

    return udi


def _join(separator: str) -> Transform:
    """The set values of a list as one text (`[order_number, tracking_no]` -> `1001/SF123`); None if none is set."""

    def join(values: Any) -> str | None:
        parts = [to_str(v) for v in values if v is not None and v != ""]
        return separator.join(parts) or None

    return join


def _plain(fn: Transform) -> Callable[[], Transform]:
    return lambda: fn


TRANSFORMS: dict[str, Callable[..., Transform]] = {
    "str": _plain(to_str),
    "int": _plain(to_int),
    "decimal": _plain(to_decimal),
    "decimal_sum": _plain(decimal_sum),
    "datetime": _plain(to_utc_datetime),
    "odoo_datetime": _plain(naive_utc_datetime),
    "date": _plain(to_date),
    "false_none": lambda: lambda value: None if value is False else value,
    "strip": _plain(lambda value: to_str(value).strip() or None),
    "lower": _plain(lambda value: to_str(value).lower()),
    "strip_hash": _plain(strip_hash),
    "gtin": _plain(normalize_gtin),
    "m2o_id": _plain(many2one_id),
    "m2o_name": _plain(many2one_name),
    "lookup": _lookup,
    "default": _default,
    "if_present": _if_present,
    "strip_suffix": _strip_suffix,
    "first_flag": _first_flag,
    "udi": _udi,
    "local_date": _local_date,
    "site_datetime": _site_datetime,
    "finished_row": _finished_row,
    "join": _join,
}
"""Transform name -> factory taking the spec's arguments (none, one value, or a mapping)."""


NONE_AWARE = frozenset({"default", "if_present", "false_none"})
"""Transforms that give None a meaning; the engine skips the others when the value is None."""
ZONE_AWARE = frozenset({"local_date", "site_datetime"})
"""Transforms whose factory also takes `zone=`, the source's configured time zone."""

Where = Callable[[int], str]
"""Raw payload path of an expander's i-th argument, built on request."""
Rows = Iterator[tuple[dict[str, Any], str]]
Expander = Callable[[list[Any], Where], Rows]


def serial_units(args: list[Any], where: Where) -> Rows:
    """ShipBob inventory item -> one row per serial number (qty 1), else one row for the item.

    Args are ``[inventory_item]``. Serials are in ``serial_numbers`` only; an item with serials
    is a serialised item whatever its quantity says. Row keys `serial`, `qty` and `tracking`
    (``serial`` with serials, ``lot`` with a lot, else None: the device master decides later).
    """
    (item,) = args
    item_path = where(0)
    if not isinstance(item, dict):
        raise MappingError("expected an inventory item object", item_path, item)
    serials = item.get("serial_numbers") or []
    if not isinstance(serials, list):
        raise MappingError("expected a list", f"{item_path}.serial_numbers", serials)
    present = [(index, serial) for index, serial in enumerate(serials) if serial not in (None, "")]
    if present:
        for index, serial in present:
            yield {"serial": to_str(serial), "qty": _ONE, "tracking": "serial"}, f"{item_path}.serial_numbers[{index}]"
        return
    try:
        qty = to_decimal(item.get("quantity"))
    except MappingError as exc:
        raise MappingError(exc.message, f"{item_path}.quantity", item.get("quantity")) from None
    yield {"serial": None, "qty": qty, "tracking": "lot" if item.get("lot") else None}, item_path


_SERIAL_SEPARATORS = re.compile(r"[,;\s]+")


def listed_serials(args: list[Any], where: Where) -> Rows:
    """A line whose serial numbers are one text (or list) -> one row per serial (qty 1), else one row for the line.

    Args are ``[quantity, serials, lot]``: WooCommerce keeps what the merchant entered in line-item meta, serials
    as one string separated by commas, semicolons or white space. Row keys as `serial_units`: `serial`, `qty`,
    `tracking` (``serial`` with serials, ``lot`` with a lot, else None: the device master decides later).
    """
    quantity, serials, lot = args
    if isinstance(serials, str):
        listed = [part for part in _SERIAL_SEPARATORS.split(serials) if part]
    elif isinstance(serials, list):
        listed = [to_str(part).strip() for part in serials if part not in (None, "")]
    elif serials is None:
        listed = []
    else:
        raise MappingError("expected serial numbers as text or a list", where(1), serials)
    if listed:
        for serial in listed:
            yield {"serial": serial, "qty": _ONE, "tracking": "serial"}, where(1)
        return
    try:
        qty = to_decimal(quantity)
    except MappingError as exc:
        raise MappingError(exc.message, where(0), quantity) from None
    yield {"serial": None, "qty": qty, "tracking": "lot" if lot not in (None, "") else None}, where(0)


def move_lots(args: list[Any], where: Where) -> Rows:
    """Odoo stock move -> one row per move line with the lot and quantity that line records.

    Args are ``[move_line_ids, quantity]`` (move lines expanded to ``{lot_id, lot_name,
    quantity}``). Odoo keeps per-lot quantities on `stock.move.line`, so a move that consumed
    two lots in unequal amounts gives each its own. A line without a lot, or a move without
    lines (then with the move's quantity), gives a row with ``lot`` None, which the trace
    store links to every candidate lot as `inferred`. Row keys `lot`, `qty`.
    """
    lines, quantity = args
    if lines is False or lines is None:
        lines = []
    if not isinstance(lines, list):
        raise MappingError("expected a list of move lines", where(0), lines)
    if not lines:
        try:
            qty = to_decimal(quantity)
        except MappingError as exc:
            raise MappingError(exc.message, where(1), quantity) from None
        yield {"lot": None, "qty": qty}, where(0)
        return
    for index, line in enumerate(lines):
        path = f"{where(0)}[{index}]"
        if not isinstance(line, dict):
            raise MappingError("expected an expanded move line {lot_id, quantity}", path, line)
        lot = line.get("lot_id")
        name = lot.get("name") if isinstance(lot, dict) else many2one_name(lot) if lot else None
        try:
            qty = to_decimal(line.get("quantity"))
        except MappingError as exc:
            raise MappingError(exc.message, f"{path}.quantity", line.get("quantity")) from None
        yield {"lot": name or line.get("lot_name") or None, "qty": qty}, path


def product_lines(args: list[Any], where: Where) -> Rows:
    """Odoo invoice lines that bill a product: section and note lines carry no quantity of goods.

    Args are ``[invoice_line_ids]`` (expanded); a line without `display_type` counts as a product line.
    """
    (lines,) = args
    if lines is None or lines is False:
        return
    if not isinstance(lines, list):
        raise MappingError("expected a list of invoice lines", where(0), lines)
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise MappingError("expected an expanded invoice line", f"{where(0)}[{index}]", line)
        if line.get("display_type") in (None, False, "product"):
            yield line, f"{where(0)}[{index}]"


def stock_row_units(args: list[Any], where: Where) -> Rows:
    """Frappe stock row (Delivery Note Item, Stock Entry Detail) -> one row per serial (qty 1), else per lot.

    Args are ``[row]``. Lots and serials are either on the row (`batch_no`, and `serial_no` as newline-separated
    text) or, when the row names a `serial_and_batch_bundle`, in that bundle's `entries` (each with `batch_no`,
    `serial_no` and a quantity that is negative for outward moves). The connector fetches the bundle into the
    row; a bundle still given by name only means the lots are unknown, which is a failure, not an empty lot.
    Row keys `lot`, `serial`, `qty`, `tracking`.
    """
    (row,) = args
    path = where(0)
    if not isinstance(row, dict):
        raise MappingError("expected a stock row object", path, row)
    bundle = row.get("serial_and_batch_bundle")
    if isinstance(bundle, dict):
        entries = bundle.get("entries")
        if not isinstance(entries, list):
            raise MappingError("expected the bundle's entries list", f"{path}.serial_and_batch_bundle.entries", entries)
        for index, entry in enumerate(entries):
            at = f"{path}.serial_and_batch_bundle.entries[{index}]"
            if not isinstance(entry, dict):
                raise MappingError("expected a Serial and Batch Entry object", at, entry)
            try:
                qty = abs(to_decimal(entry.get("qty")))
            except MappingError as exc:
                raise MappingError(exc.message, f"{at}.qty", entry.get("qty")) from None
            serial = entry.get("serial_no") or None
            lot = entry.get("batch_no") or None
            yield {"lot": lot, "serial": serial, "qty": qty, "tracking": _tracking(serial, lot)}, at
        return
    if bundle:
        raise MappingError(
            "the Serial and Batch Bundle was not fetched with the document, so its lots and serials are unknown",
            f"{path}.serial_and_batch_bundle",
            bundle,
        )
    lot = row.get("batch_no") or None
    text = row.get("serial_no") or ""
    if not isinstance(text, str):
        raise MappingError("expected serial numbers as newline-separated text", f"{path}.serial_no", text)
    serials = [serial.strip() for serial in text.splitlines() if serial.strip()]
    if serials:
        for serial in serials:
            yield {"lot": lot, "serial": serial, "qty": _ONE, "tracking": "serial"}, f"{path}.serial_no"
        return
    try:
        qty = to_decimal(row.get("qty"))
    except MappingError as exc:
        raise MappingError(exc.message, f"{path}.qty", row.get("qty")) from None
    yield {"lot": lot, "serial": None, "qty": qty, "tracking": _tracking(None, lot)}, path


def _tracking(serial: Any, lot: Any) -> str | None:
    return "serial" if serial else "lot" if lot else None


def consumed_rows(args: list[Any], where: Where) -> Rows:
    """The rows of a Frappe Stock Entry that consumed stock: a source warehouse and not the finished item."""
    (rows,) = args
    if rows is None:
        return
    if not isinstance(rows, list):
        raise MappingError("expected the list of stock entry rows", where(0), rows)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise MappingError("expected a stock entry row", f"{where(0)}[{index}]", row)
        if row.get("s_warehouse") and not row.get("is_finished_item"):
            yield row, f"{where(0)}[{index}]"


EXPANDERS: dict[str, Expander] = {
    "serial_units": serial_units,
    "listed_serials": listed_serials,
    "move_lots": move_lots,
    "product_lines": product_lines,
    "stock_row_units": stock_row_units,
    "consumed_rows": consumed_rows,
}
"""Expander name -> function(arg values, arg path namer) yielding (row, raw path) pairs."""
