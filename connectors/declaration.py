"""A REST platform as a YAML declaration: requester, check, and one stream per canonical entity.

The built-in REST platforms are declarations shipped in `platforms/`; a customer declares
another in a file of their own, referenced from sources.yaml (`platform: path.yaml`). Both
are read here, validated with pydantic, and every problem becomes one `ConfigError` line naming
the file, the field and the rule. The format is documented in connectors/README.md.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.auth import Auth
from connectors.errors import ConfigError
from connectors.pagination import AnyPaginator
from connectors.ratelimit import RateLimit, UsageHeader
from connectors.splits import SPLITS
from connectors.timefmt import TimeFormat

PACKAGED_DIR = Path(__file__).parent / "platforms"
NAME = r"^[a-z][a-z0-9_]{0,39}$"
KEY_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
Scalar = str | int | float | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _path(value: str, *, empty: bool = False) -> str:
    if value == "" and empty:
        return value
    if not value.startswith("/") or (len(value) > 1 and value.endswith("/")) or "?" in value or "#" in value:
        raise ValueError(f"{value!r} must start with '/' and carry no trailing '/', query or fragment")
    return value


def _with_id(value: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    if names != {"id"}:
        raise ValueError(f"the path must use {{id}} and nothing else; got {value!r}")
    return _path(value)


def query_value(value: Any) -> str:
    """How a declared parameter travels: booleans as `true`/`false`, lists and objects as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


class Requester(Strict):
    """What every request of the platform shares."""

    path_prefix: str = ""
    """Prepended to every path (the API version: `/admin/api/2025-10`, `/wp-json/wc/v3`)."""
    auth: Auth
    alternatives: dict[str, Auth] = Field(default_factory=dict)
    """Other auth styles the platform accepts, by name; a source picks one with `auth: <name>`
    (WooCommerce's query-key alternative to basic auth)."""

    usage_header: UsageHeader | None = None
    """Where the platform reports the credential's budget use (`X-Shopify-Shop-Api-Call-Limit`, `used/size`):
    after every answer the source's `rate_limit` bucket keeps to it."""

    @field_validator("path_prefix")
    @classmethod
    def _prefix_ok(cls, value: str) -> str:
        return _path(value, empty=True)

    def auth_named(self, name: str | None) -> Auth:
        """The declared auth style, or the alternative a source names."""
        return self.auth if name is None else self.alternatives[name]


class Check(Strict):
    """The one cheap request `tracehub check` sends, and what of its answer the line shows."""

    path: str
    params: dict[str, Scalar | list[Any] | dict[str, Any]] = Field(default_factory=dict)
    show: dict[str, str] = Field(default_factory=dict)
    """Label -> dotted key path in the body (`shop: shop.name`)."""
    show_headers: dict[str, str] = Field(default_factory=dict)
    """Label -> response header (`call limit: X-Shopify-Shop-Api-Call-Limit`)."""

    @field_validator("path")
    @classmethod
    def _path_ok(cls, value: str) -> str:
        return _path(value)


class Cursor(Strict):
    """The record's change time: which field, and how a time without offset is read."""

    field: str = Field(pattern=KEY_PATH)
    naive: Literal["utc", "local"] = "utc"
    """`utc` (WooCommerce `date_modified_gmt`) or `local`: the source's `timezone` (Frappe `modified`)."""


class Filter(Strict):
    """How the window [since, until] reaches the platform.

    Either two parameters (`since`, `until`), or one JSON filter parameter (`json_param`) holding
    `[[field, ">=", since], [field, "<=", until]]` after the `json_static` conditions (Frappe).
    """

    since: str | None = None
    until: str | None = None
    json_param: str | None = None
    field: str | None = None
    json_static: list[list[Scalar]] = Field(default_factory=list)
    format: TimeFormat = "iso_z"

    @model_validator(mode="after")
    def _one_style(self) -> Filter:
        if self.json_param is None:
            if self.since is None or self.field is not None or self.json_static:
                raise ValueError("give 'since' (and optionally 'until'), or 'json_param' with 'field'")
        elif self.field is None or self.since is not None or self.until is not None:
            raise ValueError("'json_param' needs 'field' and excludes 'since'/'until'")
        return self


class Detail(Strict):
    """A second request per listed row, for what the list leaves out (Frappe child tables)."""

    path: str = "/{id}"
    """Below the stream's path; `{id}` is the row's id, URL-quoted."""
    records: str | None = Field(default=None, pattern=KEY_PATH)
    """Key path of the record in the body; omitted when the body is the record."""

    @field_validator("path")
    @classmethod
    def _has_id(cls, value: str) -> str:
        return _with_id(value)


class Link(Strict):
    """A linked document fetched into the record where it is named (a Frappe row's Serial and Batch Bundle)."""

    at: str = Field(pattern=KEY_PATH)
    """Key path of the field holding the linked document's name; lists on the way are walked (`items.bundle`)."""
    path: str
    """Below the requester's prefix; `{id}` is the name, URL-quoted."""
    records: str | None = Field(default=None, pattern=KEY_PATH)
    """Key path of the document in the body; omitted when the body is the document."""

    @field_validator("path")
    @classmethod
    def _has_id(cls, value: str) -> str:
        return _with_id(value)


class Stream(Strict):
    """One canonical entity of the platform."""

    path: str
    paginator: AnyPaginator
    records: str | None = Field(default=None, pattern=KEY_PATH)
    """Key path of the record list in the body (`orders`, `data`); omitted when the body is the list."""
    id_field: str = "id"
    cursor: Cursor | None = None
    """None: the record has no change time; the time of the pull stands for it (a snapshot)."""
    filter: Filter | None = None
    """None: the vendor offers no update filter, every sync pulls the whole list."""
    static_params: dict[str, Scalar | list[Any] | dict[str, Any]] = Field(default_factory=dict)
    max_page_size: int | None = Field(default=None, ge=1)
    """The vendor's largest page (WooCommerce 100): caps the source's `page_size`."""
    detail: Detail | None = None
    links: list[Link] = Field(default_factory=list)
    split: str | None = None
    """A named splitter (connectors/splits.py) for rows that hold several records."""
    ordered: bool = True
    """Whether the vendor lists oldest change first (then each landed batch may move the cursor)."""
    rate_limit: RateLimit | None = None
    """This endpoint's own budget, on top of the source's `rate_limit`."""

    @field_validator("path")
    @classmethod
    def _path_ok(cls, value: str) -> str:
        return _path(value)

    @field_validator("split")
    @classmethod
    def _known_split(cls, value: str | None) -> str | None:
        if value is not None and value not in SPLITS:
            raise ValueError(f"unknown splitter {value!r}; registered: {sorted(SPLITS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Stream:
        if self.split is not None and (self.cursor is not None or self.detail is not None or self.links):
            raise ValueError(
                "a stream with 'split' takes identity and time from the splitter: drop 'cursor', 'detail' and 'links'"
            )
        if self.filter is not None and self.cursor is None and self.split is None:
            raise ValueError("a 'filter' needs a 'cursor': records must be placed in the window they were pulled for")
        return self

    def params(self) -> dict[str, str]:
        """The static parameters as they travel."""
        return {name: query_value(value) for name, value in self.static_params.items()}


class Declaration(Strict):
    """A REST platform: its name (the source `kind`), requester, check and streams."""

    name: str = Field(pattern=NAME)
    title: str
    """Shown by `tracehub check` (`API 2025-10`)."""
    requester: Requester
    check: Check
    streams: dict[str, Stream] = Field(min_length=1)
    """Canonical entity -> stream, in the order a full sync pulls them."""

    @field_validator("streams")
    @classmethod
    def _entity_names(cls, value: dict[str, Stream]) -> dict[str, Stream]:
        bad = [name for name in value if not re.fullmatch(NAME, name)]
        if bad:
            raise ValueError(f"entity names {bad} must be lower-case words joined by '_' (a canonical entity)")
        return value


def load_declaration(path: str | Path) -> Declaration:
    """Read and validate a declaration file; every problem is one ConfigError line naming file, field and rule.

    Read once per file version: an edited declaration is picked up on the next call.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise ConfigError(f"platform declaration {path} does not exist") from None
    return _load(path.resolve(), stat.st_mtime_ns, stat.st_size)


@cache
def _load(path: Path, mtime_ns: int, size: int) -> Declaration:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"platform declaration {path} cannot be read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"platform declaration {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        return Declaration.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"platform declaration {path}: {problems}") from None


def _describe(err: Any) -> str:
    """`field a.b.c: rule`, without the union tag pydantic puts after `auth` and `paginator`."""
    loc = list(err["loc"])
    kept = [str(part) for i, part in enumerate(loc) if i == 0 or loc[i - 1] not in ("auth", "paginator")]
    message = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
    return f"field {'.'.join(kept) or '(file)'}: {message}"


def packaged() -> dict[str, Declaration]:
    """The built-in REST platforms, by name (the file `platforms/<name>.yaml` declares `name: <name>`)."""
    found: dict[str, Declaration] = {}
    for path in sorted(PACKAGED_DIR.glob("*.yaml")):
        declaration = load_declaration(path)
        if declaration.name != path.stem:
            raise ConfigError(
                f"platform declaration {path}: field name: {declaration.name!r} differs from the file name"
            )
        found[declaration.name] = declaration
    return found


def dig(body: Any, key_path: str | None) -> Any:
    """The value at a dotted key path (`data`, `shop.name`); the body itself for None; None when absent."""
    if key_path is None:
        return body
    for key in key_path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
