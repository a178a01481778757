"""Rows of a CSV or XLSX file as text cells, streamed, with its headers mapped to canonical columns.

A file is read twice: `check` walks it whole (the encoding decodes to the end, the header has
every required column, the rows of one record are adjacent) before `records` yields a single row,
so a malformed file is rejected whole with one line naming the problem, never half loaded.
Both passes stream: a CSV line at a time, an XLSX row at a time (openpyxl read-only mode).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.drop_settings import COLUMNS, DATES, MOMENTS, REQUIRED, DropEntity, DropSettings

DELIMITERS = ",;\t|"
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_CHUNK = 1 << 16
HEADER_SEARCH = 10
"""Without a configured `header_row`, the header is looked for in this many top rows (titles may sit above)."""

Cells = list[str | None]


class FileProblem(ValueError):
    """Why a file cannot be read at all; the caller prefixes the file name."""


@dataclass(frozen=True)
class Header:
    """Which cell holds which canonical column, and under which header text this file names it."""

    row: int
    columns: dict[int, str]
    names: dict[str, str]
    other: dict[int, str]


@dataclass(frozen=True)
class Sheet:
    """One checked file: how to read it again and what its header says."""

    path: Path
    entity: str
    encoding: str | None
    delimiter: str
    header: Header
    settings: DropSettings
    zone: ZoneInfo
    formats: list[str] = field(default_factory=list, compare=False)
    """Date formats to try, the last one that matched first (a file keeps to one format)."""

    def rows(self, only: tuple[str, ...] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, row) for every non-empty row below the header; row: canonical column -> text.

        `only`: just these columns, and no `other` (a pass that needs only the record keys).
        """
        columns = [(i, c) for i, c in self.header.columns.items() if only is None or c in only]
        for number, cells in _cells(self.path, self.encoding, self.delimiter, self.settings.entity(self.entity).sheet):
            if number <= self.header.row or not any(cells):
                continue
            row: dict[str, Any] = {"row": number}
            for index, column in columns:
                value = cells[index] if index < len(cells) else None
                row[column] = self._normal(column, value)
            if only is None:
                other = {n: cells[i] for i, n in self.header.other.items() if i < len(cells) and cells[i] is not None}
                if other:
                    row["other"] = other
            yield number, row

    def _normal(self, column: str, value: str | None) -> str | None:
        """Dates and moments in the source's formats become ISO text; anything unreadable stays as written."""
        if value is None or (column not in DATES and column not in MOMENTS):
            return value
        parsed = parse_moment(value, self.formats)
        if parsed is None:
            return value
        if column in DATES:
            return parsed.date().isoformat()
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)).isoformat()


def moment_formats(days: list[str]) -> list[str]:
    """Each day format alone or followed by `HH:MM[:SS]`."""
    return [day + suffix for day in days for suffix in ("", " %H:%M", " %H:%M:%S")]


def parse_moment(text: str, formats: list[str]) -> datetime | None:
    """ISO 8601 first, then `formats` in order; the one that matched moves to the front of the list."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for index, candidate in enumerate(formats):
        try:
            parsed = datetime.strptime(text, candidate)
        except ValueError:
            continue
        if index:
            formats.insert(0, formats.pop(index))
        return parsed
    return None


def check(path: Path, entity: str, settings: DropSettings, timezone: str) -> Sheet:
    """Walk the whole file once; FileProblem when it cannot be loaded as a whole."""
    kind = path.suffix.lower()
    if kind not in CSV_SUFFIXES and kind not in XLSX_SUFFIXES:
        raise FileProblem(f"is not a CSV or XLSX file (suffix {kind or 'none'!r})")
    entity_settings = settings.entity(entity)
    encoding: str | None = None
    delimiter = ","
    if kind in CSV_SUFFIXES:
        encoding = _encoding(path, settings.encoding)
        delimiter = settings.delimiter or _delimiter(path, encoding)
    header = _header(path, encoding, delimiter, entity, settings, entity_settings)
    sheet = Sheet(path, entity, encoding, delimiter, header, settings, ZoneInfo(timezone))
    sheet.formats.extend(moment_formats(settings.date_formats))
    _check_grouping(sheet, group_by(entity, entity_settings, header))
    return sheet


def group_by(entity: str, settings: DropEntity, header: Header) -> tuple[str, ...]:
    """The columns whose adjacent equal values make one record: configured, else the entity's natural key."""
    if settings.group_by is not None:
        return tuple(settings.group_by)
    if entity == "shipment":
        return ("shipment_id",) if "shipment_id" in header.names else ("order_number", "tracking_no")
    if entity == "order":
        return ("order_number",)
    return ()


def group_key(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...] | None:
    """A row's record key; None (a record of its own) without grouping or when every key cell is empty."""
    key = tuple(row.get(c) for c in columns)
    return key if any(v is not None for v in key) else None


def _check_grouping(sheet: Sheet, columns: tuple[str, ...]) -> None:
    """Rows of one record must be adjacent: a key seen again after other rows would split a record in two."""
    closed: dict[bytes, int] = {}  # 8-byte digests of the keys seen: bounded by records, not by the file
    current: tuple[Any, ...] | None = None
    first = 0
    for number, row in sheet.rows(columns):
        key = group_key(row, columns)
        if key is not None and key == current:
            continue
        if current is not None:
            closed[_digest(current)] = first
        if key is not None and _digest(key) in closed:
            shown = ", ".join(f"{c}={v!r}" for c, v in zip(columns, key, strict=True))
            raise FileProblem(
                f"row {number}: {shown} already appeared at row {closed[_digest(key)]} with other rows between; "
                f"the rows of one {sheet.entity} must be adjacent"
            )
        current, first = key, number


def _digest(key: tuple[Any, ...]) -> bytes:
    return hashlib.blake2b(repr(key).encode(), digest_size=8).digest()


def _encoding(path: Path, configured: str) -> str:
    """The text encoding that decodes the whole file: the configured one, or BOM / UTF-8 / GB18030."""
    with path.open("rb") as handle:
        start = handle.read(4)
    if b"\x00" in start:
        raise FileProblem("is not text (NUL bytes: UTF-16 or a binary file?)")
    if configured != "auto":
        candidates = [configured]
    elif start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    problem = ""
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        offset = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError as exc:
            problem = f"{encoding} fails at byte {offset + exc.start}"
    raise FileProblem(f"is not {' or '.join(candidates)} text ({problem}); set drop.encoding if it is another")


def _delimiter(path: Path, encoding: str | None) -> str:
    """The separator used most on one of the top lines (where the header is); `,` when none is."""
    counts = dict.fromkeys(DELIMITERS, 0)
    with path.open(encoding=encoding, newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if number > HEADER_SEARCH:
                break
            for d in DELIMITERS:
                counts[d] = max(counts[d], line.count(d))
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cells(path: Path, encoding: str | None, delimiter: str, sheet: str | None) -> Iterator[tuple[int, Cells]]:
    """(row number from 1, stripped text cells; empty -> None) for every row of the file."""
    if encoding is not None:
        with path.open(encoding=encoding, newline="") as handle:
            try:
                for number, cells in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                    yield number, [c.strip() or None for c in cells]
            except csv.Error as exc:
                raise FileProblem(f"is not readable CSV: {exc}") from None
        return
    yield from _xlsx_cells(path, sheet)


def _xlsx_cells(path: Path, sheet: str | None) -> Iterator[tuple[int, Cells]]:
    from openpyxl import load_workbook  # only when a workbook is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"is not an XLSX workbook ({type(exc).__name__})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(f"has no worksheet {sheet!r}; it has {book.sheetnames}")
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, [_text(v) for v in values]
    finally:
        book.close()


def _text(value: Any) -> str | None:
    """An XLSX cell as the text a CSV would hold: integral numbers without `.0`, dates in ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip() or None


def _header(
    path: Path, encoding: str | None, delimiter: str, entity: str, settings: DropSettings, entity_settings: DropEntity
) -> Header:
    """The header row: the configured one, else the first of the top rows that has every required column."""
    fixed = settings.header_row
    lookup = {text.casefold(): column for text, column in entity_settings.columns.items()}
    lookup.update({column: column for column in COLUMNS[entity]})
    required = entity_settings.required if entity_settings.required is not None else REQUIRED[entity]
    best: Header | None = None
    for number, cells in _cells(path, encoding, delimiter, entity_settings.sheet):
        if number > (fixed or HEADER_SEARCH):
            break
        if (fixed and number != fixed) or not any(cells):
            continue
        header = _read_header(number, cells, lookup)
        if all(c in header.names for c in required):
            return header
        if best is None or len(header.names) > len(best.names):
            best = header
    if best is None:
        where = f"row {fixed} is missing or empty" if fixed else f"the first {HEADER_SEARCH} rows are empty"
        raise FileProblem(f"has no header row ({where})")
    missing = [c for c in required if c not in best.names]
    looked = {c: [t for t, m in entity_settings.columns.items() if m == c] or [c] for c in missing}
    raise FileProblem(f"has no column for {', '.join(f'{c} (headers {looked[c]})' for c in missing)}")


def _read_header(number: int, cells: Cells, lookup: dict[str, str]) -> Header:
    columns: dict[int, str] = {}
    names: dict[str, str] = {}
    other: dict[int, str] = {}
    for index, raw in enumerate(cells):
        if raw is None:
            continue
        text = raw.lstrip("\ufeff").strip()
        column = lookup.get(text.casefold())
        if column is None:
            other[index] = text
        elif column in names:
            raise FileProblem(f"row {number}: columns {names[column]!r} and {text!r} both map to {column}")
        else:
            columns[index], names[column] = column, text
    return Header(number, columns, names, other)
