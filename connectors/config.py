"""Source configuration: one YAML entry per platform connection, validated with pydantic.

```yaml
sources:
  - name: shop
    kind: shopify
    base_url: https://example.myshopify.com
    entities: [order]
    credentials: {env: SHOPIFY_TOKEN}          # or {airflow_conn: shopify_shop}
    schedule: "@hourly"
    rate_limit: {requests: 2, per_seconds: 1, burst: 40}
    lookback_minutes: 10
    timezone: Asia/Shanghai                    # how the platform's local dates are read
    field_map:                                 # optional: canonical field -> platform field
      device: {registration_no: x_studio_registration_no}
  - name: wms
    kind: acme_wms                             # a platform declared in YAML, not built in:
    platform: platforms/acme_wms.yaml          # its declaration, relative to this file
    ...
```
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from connectors.declaration import Declaration, load_declaration, packaged
from connectors.drop_settings import DropSettings, drop_location_problem
from connectors.errors import ConfigError
from connectors.ratelimit import RateLimit

ODOO_ENTITIES = ("device", "party", "lot", "batch_record", "invoice", "scrap")
REST_PLATFORMS: dict[str, Declaration] = packaged()
"""The built-in REST platforms, declared in connectors/platforms/*.yaml."""

ENTITIES_BY_KIND: dict[str, tuple[str, ...]] = {
    **{kind: tuple(declaration.streams) for kind, declaration in REST_PLATFORMS.items()},
    "odoo": ODOO_ENTITIES,
    "drop": ("lot", "order", "shipment"),
}
"""Canonical entities each built-in platform kind can deliver, in the order a full sync pulls them.
A source of a declared platform serves its declaration's streams (`SourceConfig.served`)."""


class Credentials(BaseModel):
    """Where a source's secret lives; never the secret itself."""

    model_config = ConfigDict(extra="forbid")

    env: str | None = None
    airflow_conn: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Credentials:
        if (self.env is None) == (self.airflow_conn is None):
            raise ValueError("give exactly one of 'env' (an environment variable) or 'airflow_conn'")
        return self


class Secret(BaseModel):
    """A resolved credential. `repr` hides the values so they cannot leak into logs."""

    model_config = ConfigDict(frozen=True)

    token: str = Field(repr=False)
    login: str | None = None
    database: str | None = None


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    platform: str | None = None
    """A platform declared in YAML: the path of its declaration file (load_sources reads a relative
    one from the sources file's folder). Read before `kind`, which must be the name it declares."""
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    """A built-in platform (ENTITIES_BY_KIND) or the `name` its `platform` declaration gives."""
    auth: str | None = None
    """One of the auth alternatives the platform's declaration names, instead of its default."""
    base_url: str
    """The platform's address: http(s), a host, an optional port and path prefix; nothing else.
    Kind `drop`: the folder, `file:///absolute/path` or `sftp://host[:port]/path`."""
    entities: list[str] = Field(min_length=1)
    credentials: Credentials | None = None
    """Required, except for a `drop` source reading a local folder."""
    schedule: str | None = "@hourly"
    rate_limit: RateLimit | None = None
    lookback_minutes: int = Field(default=10, ge=0)
    safety_lag_seconds: int = Field(default=0, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)
    page_size: int = Field(default=100, ge=1, le=250)
    batch_records: int = Field(default=10_000, ge=1, le=50_000)
    """Records landed per transaction: bounds memory and the work a crash can lose. 10,000 rather
    than 5,000 paid the per-batch costs (a GX run, the store's statements) half as often: 6% more
    lines/s on 400k lines, for a process plateau of 417 MB instead of 314 MB (benchmarks/README.md).
    The sync also ends a batch at 16 MB of raw text (`pipeline.sync.MAX_BATCH_BYTES`), which caps
    a batch of large payloads sooner."""
    database: str | None = None
    """Odoo only: the database name."""
    login: str | None = None
    """The user login or key the secret pairs with, where the platform's auth uses one (Odoo's user,
    WooCommerce's consumer key, Frappe's API key, an SFTP drop's user); the password, secret or key
    is the credential."""
    timezone: str = "UTC"
    """IANA time zone of the business: datetimes that stand for a calendar date (an Odoo lot's
    expiration_date, a production's date_finished) are read as dates in this zone."""
    field_map: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per entity, canonical field -> the platform field that fills it for this source: a
    customer's custom fields (Odoo Studio `x_studio_*`) or another join field than the vendor's
    default. Optional: without it the connector reads standard fields only."""
    drop: DropSettings | None = None
    """Kind `drop` only: which files hold which entity and how their columns map (connectors/drops.py)."""
    notify_customer: bool = False
    """Kind `shopify` only: write-back asks the shop to e-mail the customer when a push makes a fulfilment
    or changes its tracking (the `push_<source>` DAG and `tracehub push` honour it)."""

    @field_validator("base_url")
    @classmethod
    def _base_url_usable(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "drop":
            problem = drop_location_problem(value)
            if problem:
                raise ValueError(problem)
            return value
        problem = base_url_problem(value)
        if problem:
            raise ValueError(f"{problem}; write the platform's address, e.g. https://example.myshopify.com")
        return value

    @field_validator("platform")
    @classmethod
    def _platform_declared(cls, value: str | None) -> str | None:
        if value is not None:
            load_declaration(value)
        return value

    @field_validator("kind")
    @classmethod
    def _kind_known(cls, value: str, info: ValidationInfo) -> str:
        if "platform" not in info.data:
            return value  # the declaration itself is wrong: that error is the one to read
        platform = info.data["platform"]
        if platform is None and value not in ENTITIES_BY_KIND:
            raise ValueError(
                f"kind {value!r} is not built in ({sorted(ENTITIES_BY_KIND)}); "
                "for a platform declared in YAML add 'platform: path/to/declaration.yaml'"
            )
        if platform is not None and value in ENTITIES_BY_KIND:
            raise ValueError(f"kind {value!r} is built in; a declared platform needs a name of its own")
        if platform is not None and load_declaration(platform).name != value:
            raise ValueError(f"platform {platform} declares name {load_declaration(platform).name!r}, not {value!r}")
        return value

    @model_validator(mode="after")
    def _entities_known(self) -> SourceConfig:
        if self.credentials is None and not (self.kind == "drop" and self.base_url.startswith("file:")):
            raise ValueError("credentials are required: {env: VARIABLE} or {airflow_conn: ID}")
        if (self.kind == "drop") != (self.drop is not None):
            raise ValueError("a 'drop' section is required for kind drop, and only there")
        if self.notify_customer and self.kind != "shopify":
            raise ValueError("notify_customer is a Shopify write-back option; a shopify source only")
        declaration = self.declaration()
        if self.auth is not None:
            offered = sorted(declaration.requester.alternatives) if declaration is not None else []
            if self.auth not in offered:
                raise ValueError(
                    f"auth {self.auth!r} is not an alternative kind {self.kind!r} declares; choose from {offered}"
                )
        allowed = self.served()
        unknown = [e for e in self.entities if e not in allowed]
        if unknown:
            raise ValueError(f"entities {unknown} are not served by kind {self.kind!r}; choose from {list(allowed)}")
        if self.drop is not None and (missing := [e for e in self.entities if getattr(self.drop, e) is None]):
            raise ValueError(f"drop settings have no 'files' and 'columns' for entities {missing}")
        mapped = [e for e in self.field_map if e not in allowed]
        if mapped:
            raise ValueError(f"field_map names entities {mapped} that kind {self.kind!r} does not serve")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r} is not an IANA time zone (e.g. Asia/Shanghai, UTC)") from None
        return self

    def declaration(self) -> Declaration | None:
        """The REST declaration this source runs on; None for Odoo and spreadsheet drops."""
        if self.platform is not None:
            return load_declaration(self.platform)
        return REST_PLATFORMS.get(self.kind)

    def served(self) -> tuple[str, ...]:
        """The canonical entities this source's platform can deliver, in sync order."""
        if self.platform is not None:
            return tuple(load_declaration(self.platform).streams)
        return ENTITIES_BY_KIND[self.kind]

    def custom_fields(self, entity: str) -> list[str]:
        """Platform fields the field map adds to what the connector reads for `entity` (top level)."""
        paths = self.field_map.get(entity, {}).values()
        return sorted({path.removeprefix("$.").split(".", 1)[0].split("[", 1)[0] for path in paths})

    def credential_origin(self) -> str:
        """Where the secret comes from, for messages: never the secret itself."""
        if self.credentials is None:
            return "no credential"
        if self.credentials.env is not None:
            return f"environment variable {self.credentials.env}"
        return f"Airflow connection {self.credentials.airflow_conn!r}"

    def secret(self) -> Secret:
        """Resolve the credential from the environment or an Airflow connection (empty when none is needed)."""
        if self.credentials is None:
            return Secret(token="", login=self.login)
        if self.credentials.env is not None:
            value = os.environ.get(self.credentials.env)
            if not value:
                raise ConfigError(
                    f"source {self.name!r} field credentials.env: environment variable {self.credentials.env} "
                    "is not set; export it with the platform's access token"
                )
            return Secret(token=value, login=self.login, database=self.database)
        return _airflow_secret(self.name, self.credentials.airflow_conn or "", self.login, self.database)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def get(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"no source named {name!r}; configured: {[s.name for s in self.sources]}")


def load_sources(path: str | Path) -> SourcesFile:
    """Read and validate a sources file, turning every problem into one readable ConfigError."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sources file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"sources file {path} cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"sources file {path} is not valid YAML: {exc}") from None
    try:
        return SourcesFile.model_validate(_platforms_beside(data, path.parent))
    except ValidationError as exc:
        problems = "; ".join(_describe(err, data) for err in exc.errors())
        raise ConfigError(f"sources file {path}: {problems}") from None


def _platforms_beside(data: Any, folder: Path) -> Any:
    """Relative `platform:` paths read from the sources file's folder, wherever the process runs."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        return data

    def placed(entry: Any) -> Any:
        platform = entry.get("platform") if isinstance(entry, dict) else None
        if isinstance(platform, str) and not Path(platform).is_absolute():
            return {**entry, "platform": str(folder / platform)}
        return entry

    sources = [placed(entry) for entry in data["sources"]]
    return {**data, "sources": sources}


def _describe(err: Any, data: object) -> str:
    """One validation problem, located by source name rather than list index where possible."""
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int) and isinstance(data, dict):
        with contextlib.suppress(KeyError, IndexError, AttributeError, TypeError):
            name = data["sources"][loc[1]].get("name", loc[1])
            where = f"source {name!r} field {'.'.join(map(str, loc[2:])) or '(entry)'}"
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def base_url_problem(url: str) -> str | None:
    """What makes `url` unusable as a platform's address, or None.

    Usable: `http` or `https`, a host name or IP address, an optional port and path prefix. A user
    name or password in it would be a secret in the sources file (rule 8), so it is refused and
    never repeated; so is a query or fragment, which the connectors would silently drop.
    """
    if any(c.isspace() or not c.isprintable() for c in url):
        return "contains spaces or control characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not url.lower().startswith(f"{parts.scheme}://"):
        return "must start with http:// or https://"
    if "@" in parts.netloc:
        return "must not carry a user name or password (the secret comes from 'credentials')"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not have a query (?...) or fragment (#...)"
    host = parts.hostname
    if not host:
        return f"{url!r} has no host"
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return f"{url!r} has an invalid port"
    if not _valid_host(host):
        return f"{url!r} has an invalid host {host!r}"
    return None


def _valid_host(host: str) -> bool:
    """A DNS name (internationalised ones too) or an IPv4 / IPv6 address."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(HOST_LABEL.match(label) for label in ascii_host.removesuffix(".").split("."))


def _airflow_secret(source: str, conn_id: str, login: str | None, database: str | None) -> Secret:
    """Read an Airflow connection: `AIRFLOW_CONN_<ID>` (URI or JSON) first, then Airflow itself."""
    where = f"source {source!r} field credentials.airflow_conn"
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    raw = os.environ.get(variable)
    if raw:
        if raw.lstrip().startswith("{"):
            try:
                conn = json.loads(raw)
            except ValueError:
                raise ConfigError(
                    f"{where}: Airflow connection {conn_id!r} in {variable} is not valid JSON; "
                    "give a connection URI or a JSON object"
                ) from None
            password, conn_login, schema = conn.get("password"), conn.get("login"), conn.get("schema")
        else:
            parts = urlsplit(raw)
            password = unquote(parts.password or "")
            conn_login = unquote(parts.username or "") or None
            schema = parts.path.lstrip("/") or None
    else:
        try:
            from airflow.sdk import Connection  # heavy: only when no env var is set

            conn_obj = Connection.get(conn_id)
        except Exception:
            raise ConfigError(
                f"{where}: Airflow connection {conn_id!r} not found; "
                f"set {variable} or add it with 'airflow connections add'"
            ) from None
        password, conn_login, schema = conn_obj.password, conn_obj.login, conn_obj.schema
    if not password:
        raise ConfigError(f"{where}: Airflow connection {conn_id!r} has no password/token")
    return Secret(token=password, login=login or conn_login, database=database or schema)
