"""How a spreadsheet drop source reads its files: where they are, which columns mean what.

```yaml
  - name: tpl_suzhou
    kind: drop
    base_url: sftp://sftp.example-3pl.cn:22/outbox     # or file:///srv/drops/tpl_suzhou
    login: tracehub                                    # SFTP user; the password or key is the credential
    credentials: {env: TPL_SFTP_KEY}                   # none for a local folder
    entities: [shipment]
    timezone: Asia/Shanghai                            # dates without an offset are local dates there
    drop:
      host_key: "ssh-ed25519 AAAAC3Nza..."             # the server's known host key (SFTP only)
      settle_seconds: 10
      shipment:
        files: ["shipments-*.csv", "发货*.xlsx"]
        columns: {订单号: order_number, "Order No": order_number, 快递单号: tracking_no, ...}
```
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

Encoding = Literal["auto", "utf-8", "utf-8-sig", "gb18030"]

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d.%m.%Y", "%Y年%m月%d日")
"""Day formats tried in order when a source names none (a time part, `HH:MM[:SS]`, may follow)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "shipment": (
        "shipment_id", "order_number", "status", "ship_date", "carrier", "tracking_no", "from_location",
        "ship_to_ref", "ship_to_name", "ship_to_contact", "ship_to_email", "ship_to_phone", "ship_to_region",
        "sku", "gtin", "lot", "serial", "expiry_date", "production_date", "qty", "udi",
    ),
    "order": (
        "order_number", "customer_ref", "customer_name", "channel", "order_date", "status", "currency", "total",
        "sku", "gtin", "qty", "unit_price", "discount", "tax",
    ),
    "lot": ("gtin", "lot", "production_date", "expiry_date", "qc_status", "manufacturer"),
}  # fmt: skip
"""The canonical columns the `drop_<entity>.yaml` specs read; a column map renames a file's headers to these."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "shipment": ("order_number", "ship_to_name", "qty"),
    "order": ("order_number", "order_date", "currency", "qty", "unit_price"),
    "lot": ("gtin", "lot"),
}
"""Columns a file must have for its entity (a row may still leave a cell empty: that row is quarantined)."""

DATES = frozenset({"expiry_date", "production_date"})
MOMENTS = frozenset({"ship_date", "order_date"})
"""Columns read with the date formats: calendar dates, and moments (a date alone is local midnight)."""


class DropEntity(BaseModel):
    """The files of one entity and how their headers map to canonical columns."""

    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(min_length=1)
    """Glob patterns of file names (no folders) holding this entity: `*.csv`, `*.xlsx`."""
    columns: dict[str, str] = Field(default_factory=dict)
    """File header -> canonical column; several headers may name one column (English and 中文 layouts)."""
    group_by: list[str] | None = None
    """Canonical columns whose adjacent equal values make one record (a shipment's or order's lines)."""
    required: list[str] | None = None
    """Canonical columns every file must have; the entity's default when not given."""
    sheet: str | None = None
    """XLSX: the worksheet to read; the first one when not given."""


class DropSettings(BaseModel):
    """Reading settings of a `drop` source, and one `DropEntity` per entity it serves."""

    model_config = ConfigDict(extra="forbid")

    settle_seconds: float = Field(default=10, ge=0)
    """A file is read only when its size and mtime stayed the same across this interval."""
    encoding: Encoding = "auto"
    """CSV text encoding; `auto`: a UTF-8 BOM, else strict UTF-8, else GB18030."""
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    """CSV field separator; detected from the header line (`,` `;` tab `|`) when not given."""
    header_row: int | None = Field(default=None, ge=1)
    """The row number holding the headers; when not given, the first of the top 10 rows that has every
    required column (rows above it, a title for instance, are skipped)."""
    date_formats: list[str] = Field(default_factory=lambda: list(DATE_FORMATS))
    host_key: str | None = None
    """SFTP: the server's public host key as in known_hosts (`ssh-ed25519 AAAA...`); required there."""
    shipment: DropEntity | None = None
    order: DropEntity | None = None
    lot: DropEntity | None = None

    def entity(self, name: str) -> DropEntity:
        settings = getattr(self, name, None)
        if not isinstance(settings, DropEntity):
            raise ValueError(f"drop settings have no entry for entity {name!r}")
        return settings

    @model_validator(mode="after")
    def _columns_known(self) -> DropSettings:
        for name, known in COLUMNS.items():
            settings = getattr(self, name)
            if settings is None:
                continue
            named = set(settings.columns.values()) | set(settings.group_by or ()) | set(settings.required or ())
            unknown = sorted(named - set(known))
            if unknown:
                raise ValueError(
                    f"drop.{name} names columns {unknown} that {name} files cannot fill; known: {list(known)}"
                )
        return self


def drop_location_problem(url: str) -> str | None:
    """What makes `url` unusable as a drop folder (`file:///abs/path` or `sftp://host[:port]/path`), or None."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            return "a local folder is written file:///absolute/path"
        return None
    if parts.scheme == "sftp":
        if not parts.hostname:
            return f"{url!r} has no host"
        if "@" in parts.netloc:
            return "must not carry a user name or password (use 'login' and 'credentials')"
        try:
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            return f"{url!r} has an invalid port"
        return None
    return "must start with file:// (a local folder) or sftp:// (an SFTP server)"


def drop_folder(url: str) -> PurePosixPath:
    """The folder path of a drop location."""
    return PurePosixPath(unquote(urlsplit(url).path) or "/")
