"""REST platforms declared in YAML: the schema, every paginator and auth style over real loopback HTTP,
windows, detail and linked-document fetches, Frappe errors, endpoint rate limits, open source kinds."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rest_api import Answer, Asked, serve

from connectors.config import ENTITIES_BY_KIND, ConfigError, Secret, SourceConfig, load_sources
from connectors.declaration import PACKAGED_DIR, load_declaration
from connectors.errors import PERMANENT, AuthError, PlatformError
from connectors.http import RetryPolicy
from connectors.metrics import collecting
from connectors.registry import build_connector
from connectors.rest import RestConnector

UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, budget_seconds=10, initial_wait=0.01, max_wait=0.05)
TOKEN, LOGIN = "s3cret-Tok", "key-17"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ROWS = [{"id": n, "name": f"Party {n}", "updated": (T0 + timedelta(minutes=n)).isoformat()} for n in range(1, 21)]
PAGE = 5


def _declare(tmp_path: Path, declaration: dict[str, Any], name: str = "acme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(declaration, sort_keys=False), encoding="utf-8")
    return path


def _platform(paginator: dict[str, Any], auth: dict[str, Any], **stream: Any) -> dict[str, Any]:
    return {
        "name": "acme",
        "title": "Acme API v1",
        "requester": {"path_prefix": "/v1", "auth": auth},
        "check": {"path": "/me", "show": {"account": "account.name"}, "show_headers": {"quota": "X-Quota"}},
        "streams": {
            "party": {
                "path": "/parties",
                "paginator": paginator,
                "cursor": {"field": "updated"},
                **stream,
            }
        },
    }


def _connector(tmp_path: Path, declaration: dict[str, Any], base_url: str, **config: Any) -> RestConnector:
    path = _declare(tmp_path, declaration)
    source = SourceConfig.model_validate(
        {
            "name": "acme_src",
            "kind": declaration["name"],
            "platform": str(path),
            "base_url": base_url,
            "entities": list(declaration["streams"]),
            "credentials": {"env": "ACME_TOKEN"},
            "login": LOGIN,
            "page_size": PAGE,
            **config,
        }
    )
    connector = build_connector(source, Secret(token=TOKEN, login=LOGIN), policy=FAST)
    assert isinstance(connector, RestConnector)
    return connector


# -- every auth style and paginator, over real HTTP ---------------------------------------------------------------

AUTHS: dict[str, tuple[dict[str, Any], Any]] = {
    "bearer": ({"type": "bearer"}, lambda r: r.headers.get("Authorization") == f"Bearer {TOKEN}"),
    "basic": (
        {"type": "basic"},
        lambda r: r.headers.get("Authorization") == "Basic " + base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode(),
    ),
    "header": (
        {"type": "header", "name": "Authorization", "value": "token {login}:{token}"},
        lambda r: r.headers.get("Authorization") == f"token {LOGIN}:{TOKEN}",
    ),
    "query": (
        {"type": "query", "login_param": "api_key", "token_param": "api_secret"},
        lambda r: r.query.pop("api_key", None) == LOGIN and r.query.pop("api_secret", None) == TOKEN,
    ),
}


def _page_number(asked: Asked) -> Answer:
    page, size = int(asked.query.pop("page")), int(asked.query.pop("per_page"))
    pages = -(-len(ROWS) // size)
    return Answer(200, {"data": ROWS[(page - 1) * size : page * size]}, {"X-Total-Pages": str(pages)})


def _offset(asked: Asked) -> Answer:
    start, size = int(asked.query.pop("limit_start")), int(asked.query.pop("limit_page_length"))
    return Answer(200, {"data": ROWS[start : start + size]})


def _cursor_envelope(asked: Asked) -> Answer:
    start, size = int(asked.query.pop("cursor", "0")), int(asked.query.pop("Limit"))
    more = start + size < len(ROWS)
    following = f"https://elsewhere.example/v1/parties?cursor={start + size}&Limit={size}" if more else None
    return Answer(200, {"data": ROWS[start : start + size], "next": following})


def _link_header(asked: Asked) -> Answer:
    start, size = int(asked.query.pop("page_info", "0")), int(asked.query.pop("limit"))
    headers = {}
    if start + size < len(ROWS):
        headers["Link"] = f'<https://elsewhere.example/v1/parties?limit={size}&page_info={start + size}>; rel="next"'
    return Answer(200, {"data": ROWS[start : start + size]}, headers)


PAGINATORS: dict[str, tuple[dict[str, Any], Any]] = {
    "page_number": (
        {"type": "page_number", "page_param": "page", "limit_param": "per_page", "total_pages_header": "X-Total-Pages"},
        _page_number,
    ),
    "offset": ({"type": "offset", "offset_param": "limit_start", "limit_param": "limit_page_length"}, _offset),
    "cursor_envelope": ({"type": "cursor_envelope", "size_param": "Limit"}, _cursor_envelope),
    "link_header": ({"type": "link_header", "limit_param": "limit", "keep": ["limit", "page_info"]}, _link_header),
}


OFFSET, BEARER = PAGINATORS["offset"][0], AUTHS["bearer"][0]


@pytest.mark.parametrize(("paging", "auth"), list(itertools.product(PAGINATORS, AUTHS)))
def test_every_paginator_and_auth_style_pulls_every_record_once(tmp_path, paging, auth):
    paginator, pages = PAGINATORS[paging]
    declared_auth, authorised = AUTHS[auth]

    def contract(asked: Asked) -> Answer:
        if not authorised(asked):
            return Answer(401, {"message": "bad credentials"})
        if asked.path != "/v1/parties":
            return Answer(404, {"message": f"no route {asked.path}"})
        answer = pages(asked)
        if asked.query:
            return Answer(400, {"message": f"unknown parameters {sorted(asked.query)}"})
        return answer

    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(paginator, declared_auth, records="data"), api.base_url)
        pages_pulled = list(connector.pull("party", None, UNTIL))
    records = [r for page in pages_pulled for r in page]
    assert [r.external_id for r in records] == [str(row["id"]) for row in ROWS]
    assert [r.updated_at for r in records] == [T0 + timedelta(minutes=n) for n in range(1, 21)]
    assert [r.payload for r in records] == ROWS
    # the total-pages header or a missing next link ends the list at page 4; offsets know no end but a short page
    assert len(api.asked) == len(ROWS) // PAGE + (paging == "offset")
    assert all(a.path == "/v1/parties" for a in api.asked), "a next link's host is never followed"


def test_page_number_without_a_total_header_ends_at_a_short_page(tmp_path):
    def contract(asked: Asked) -> Answer:
        page, size = int(asked.query["page"]), int(asked.query["per_page"])
        return Answer(200, ROWS[(page - 1) * size : page * size])

    paginator = {"type": "page_number", "page_param": "page", "limit_param": "per_page"}
    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(paginator, {"type": "bearer"}, max_page_size=3), api.base_url)
        records = [r for page in connector.pull("party", None, UNTIL) for r in page]
    assert len(records) == len(ROWS)
    assert {a.query["per_page"] for a in api.asked} == {"3"}, "max_page_size caps the source's page_size"
    assert len(api.asked) == 7


def test_check_sends_the_declared_request_and_shows_what_it_names(tmp_path):
    def contract(asked: Asked) -> Answer:
        assert asked.path == "/v1/me"
        return Answer(200, {"account": {"name": "Acme Medical"}}, {"X-Quota": "998/1000"})

    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(OFFSET, BEARER), api.base_url)
        line = connector.check()
    assert line == "acme acme_src: 200 OK, Acme API v1, account 'Acme Medical', quota 998/1000"


# -- windows: parameters, JSON filters, local and GMT times --------------------------------------------------------


def test_window_as_two_parameters_in_naive_gmt_with_static_params(tmp_path):
    since, until = datetime(2026, 3, 1, 8, 5, 0, 400_000, tzinfo=UTC), datetime(2026, 3, 1, 8, 9, 59, 10, tzinfo=UTC)

    def contract(asked: Asked) -> Answer:
        assert asked.query.pop("modified_after") == "2026-03-01T08:05:00"
        assert asked.query.pop("modified_before") == "2026-03-01T08:10:00"
        assert asked.query.pop("dates_are_gmt") == "true" and asked.query.pop("orderby") == "id"
        assert asked.query.pop("include") == "[1,2]"
        asked.query.pop("page"), asked.query.pop("per_page")
        assert not asked.query, asked.query
        rows = [{**r, "updated": r["updated"][:19]} for r in ROWS[4:9]]
        return Answer(200, rows)

    stream = {
        "filter": {"since": "modified_after", "until": "modified_before", "format": "iso_utc"},
        "static_params": {"dates_are_gmt": True, "orderby": "id", "include": [1, 2]},
        "ordered": False,
    }
    paginator = {"type": "page_number", "page_param": "page", "limit_param": "per_page"}
    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(paginator, {"type": "bearer"}, **stream), api.base_url)
        records = [r for page in connector.pull("party", since, until) for r in page]
        assert not connector.ordered("party")
    assert [r.updated_at for r in records] == [T0 + timedelta(minutes=n) for n in range(5, 10)], "naive GMT read as UTC"


def test_window_as_a_frappe_json_filter_in_the_sources_local_time(tmp_path):
    since, until = datetime(2026, 3, 2, 2, 15, tzinfo=UTC), datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

    def contract(asked: Asked) -> Answer:
        assert json.loads(asked.query["filters"]) == [
            ["docstatus", "=", 1],
            ["modified", ">=", "2026-03-02 10:15:00"],
            ["modified", "<=", "2026-03-02 11:00:00"],
        ]
        assert json.loads(asked.query["fields"]) == ["*"]
        return Answer(200, {"data": [{"name": "SINV-1", "modified": "2026-03-02 10:20:00.250000"}]})

    stream = {
        "records": "data",
        "id_field": "name",
        "cursor": {"field": "modified", "naive": "local"},
        "filter": {
            "json_param": "filters",
            "field": "modified",
            "format": "sql_local",
            "json_static": [["docstatus", "=", 1]],
        },
        "static_params": {"fields": ["*"]},
    }
    paginator = PAGINATORS["offset"][0]
    with serve(contract) as api:
        connector = _connector(
            tmp_path, _platform(paginator, {"type": "bearer"}, **stream), api.base_url, timezone="Asia/Shanghai"
        )
        [[record]] = list(connector.pull("party", since, until))
    assert record.external_id == "SINV-1"
    assert record.updated_at == datetime(2026, 3, 2, 2, 20, 0, 250_000, tzinfo=UTC), (
        "site time read in the source's zone"
    )


def test_a_record_with_an_unreadable_cursor_is_named(tmp_path):
    def contract(asked: Asked) -> Answer:
        return Answer(200, {"data": [{"id": 7, "updated": "last tuesday"}]})

    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(OFFSET, BEARER, records="data"), api.base_url)
        with pytest.raises(PlatformError, match=r"record '7' has no valid 'updated' \('last tuesday'\)"):
            list(connector.pull("party", None, UNTIL))


# -- detail and linked documents ------------------------------------------------------------------------------------

NOTES = {
    "DN/001": {"name": "DN/001", "modified": "2026-03-02 10:00:00", "items": [{"item": "A", "bundle": "SABB 1"}]},
    "DN 002": {"name": "DN 002", "modified": "2026-03-02 11:00:00", "items": [{"item": "B", "bundle": None}]},
}
BUNDLES = {"SABB 1": {"name": "SABB 1", "entries": [{"batch_no": "L1", "qty": -2}]}}


def test_detail_and_linked_documents_are_fetched_into_the_record(tmp_path):
    def contract(asked: Asked) -> Answer:
        prefix = "/api/resource/Delivery Note"
        if asked.path == prefix:
            return Answer(200, {"data": [{"name": name} for name in NOTES]})
        if asked.path.startswith(prefix + "/"):
            return Answer(200, {"data": NOTES[asked.path.removeprefix(prefix + "/")]})
        bundle = asked.path.removeprefix("/api/resource/Serial and Batch Bundle/")
        return Answer(200, {"data": BUNDLES[bundle]}) if bundle in BUNDLES else Answer(404, {"message": "none"})

    declaration = _platform(OFFSET, BEARER)
    declaration["requester"]["path_prefix"] = "/api"
    declaration["streams"] = {
        "shipment": {
            "path": "/resource/Delivery Note",
            "paginator": PAGINATORS["offset"][0],
            "records": "data",
            "id_field": "name",
            "cursor": {"field": "modified", "naive": "local"},
            "detail": {"path": "/{id}", "records": "data"},
            "links": [{"at": "items.bundle", "path": "/resource/Serial and Batch Bundle/{id}", "records": "data"}],
        }
    }
    with serve(contract) as api, collecting() as metrics:
        connector = _connector(tmp_path, declaration, api.base_url)
        records = [r for page in connector.pull("shipment", None, UNTIL) for r in page]
    assert [r.payload["items"][0]["bundle"] for r in records] == [BUNDLES["SABB 1"], None]
    assert [r.updated_at.hour for r in records] == [10, 11]
    assert "/api/resource/Delivery Note/DN%2F001" in [a.path.replace("DN/001", "DN%2F001") for a in api.asked]
    assert set(metrics.as_dict()) == {
        "GET /api/resource/Delivery Note",
        "GET /api/resource/Delivery Note/{id}",
        "GET /api/resource/Serial and Batch Bundle/{id}",
    }, "one endpoint label per template, never per record"


# -- errors ----------------------------------------------------------------------------------------------------------


def _frappe_error(status: int, exc_type: str, message: str) -> Answer:
    shown = json.dumps({"message": f"<b>{message}</b>\nsee the log", "indicator": "red"})
    return Answer(
        status,
        {
            "exc_type": exc_type,
            "exception": f"frappe.exceptions.{exc_type}: {message}",
            "exc": json.dumps(["Traceback (most recent call last):\n  File x\n"]),
            "_server_messages": json.dumps([shown]),
        },
    )


@pytest.mark.parametrize(
    ("status", "exc_type", "error", "words"),
    [
        (417, "DataError", PlatformError, "HTTP 417: DataError: Field not permitted in query: gtin see the log"),
        (401, "AuthenticationError", AuthError, "HTTP 401: AuthenticationError: Invalid API key/secret see the log"),
        (403, "PermissionError", AuthError, "HTTP 403: PermissionError: Not permitted see the log"),
    ],
)
def test_frappe_error_bodies_become_one_line_and_are_permanent(tmp_path, status, exc_type, error, words):
    message = words.split(": ", 2)[2].removesuffix(" see the log")
    with serve(lambda asked: _frappe_error(status, exc_type, message)) as api:
        connector = _connector(tmp_path, _platform(OFFSET, BEARER), api.base_url)
        with pytest.raises(error) as caught:
            list(connector.pull("party", None, UNTIL))
    text = str(caught.value)
    assert words in text and "\n" not in text and "Traceback" not in text and TOKEN not in text
    assert isinstance(caught.value, PERMANENT)
    assert len(api.asked) == 1, "a permanent error is not retried"


def test_an_auth_style_that_needs_a_login_without_one_fails_before_any_request(tmp_path):
    path = _declare(tmp_path, _platform(PAGINATORS["offset"][0], {"type": "basic"}))
    source = SourceConfig.model_validate(
        {"name": "acme_src", "kind": "acme", "platform": str(path), "base_url": "http://127.0.0.1:9",
         "entities": ["party"], "credentials": {"env": "ACME_TOKEN"}}
    )  # fmt: skip
    with pytest.raises(ConfigError, match="source 'acme_src' field login"):
        build_connector(source, Secret(token=TOKEN))


# -- endpoint rate limits -------------------------------------------------------------------------------------------


def test_an_endpoint_rate_limit_spaces_that_endpoints_requests(tmp_path):
    def contract(asked: Asked) -> Answer:
        start, size = int(asked.query["limit_start"]), int(asked.query["limit_page_length"])
        return Answer(200, ROWS[start : start + size])

    limit = {"requests": 10, "per_seconds": 1, "burst": 1}
    with serve(contract) as api:
        connector = _connector(tmp_path, _platform(OFFSET, BEARER, rate_limit=limit), api.base_url)
        started = time.monotonic()
        list(connector.pull("party", None, UNTIL))
        elapsed = time.monotonic() - started
    assert len(api.asked) == 5
    assert elapsed >= 4 / 10 - 0.02, "five requests at 10 per second after a burst of one take 0.4 s"


# -- the declaration schema -----------------------------------------------------------------------------------------


def test_the_packaged_declarations_are_the_built_in_platforms():
    assert {p.stem for p in PACKAGED_DIR.glob("*.yaml")} == set(ENTITIES_BY_KIND) - {"odoo"}
    assert ENTITIES_BY_KIND["shopify"] == ("variant", "order")
    assert ENTITIES_BY_KIND["shipbob"] == ("shipment", "return", "inventory")
    woo = load_declaration(PACKAGED_DIR / "woocommerce.yaml")
    assert woo.streams["order"].params() == {"dates_are_gmt": "true", "orderby": "id", "order": "asc", "status": "any"}
    erp = load_declaration(PACKAGED_DIR / "erpnext.yaml")
    assert erp.requester.auth.headers("sec", "key") == {"Authorization": "token key:sec"}
    assert all(s.detail is not None for s in erp.streams.values())


def _good() -> dict[str, Any]:
    return copy.deepcopy(_platform(OFFSET, BEARER, filter={"since": "from"}))


def _broken(change: Any) -> dict[str, Any]:
    declaration = _good()
    change(declaration)
    return declaration


BAD = {
    "unknown key": (lambda d: d["streams"]["party"].update(pages=3), "field streams.party.pages: Extra inputs"),
    "paginator type": (
        lambda d: d["streams"]["party"].update(paginator={"type": "pages"}),
        "field streams.party.paginator: Input tag 'pages' found using 'type' does not match",
    ),
    "paginator key": (
        lambda d: d["streams"]["party"]["paginator"].update(start=1),
        "field streams.party.paginator.start: Unexpected keyword argument",
    ),
    "auth template": (
        lambda d: d["requester"].update(auth={"type": "header", "name": "X", "value": "{secret}"}),
        "field requester.auth.value: the value must use {token} and may use {login}",
    ),
    "splitter": (
        lambda d: d["streams"]["party"].update(split="magic", cursor=None, filter=None),
        "field streams.party.split: unknown splitter 'magic'",
    ),
    "filter without cursor": (
        lambda d: d["streams"]["party"].pop("cursor"),
        "field streams.party: a 'filter' needs a 'cursor'",
    ),
    "filter styles mixed": (
        lambda d: d["streams"]["party"].update(filter={"since": "a", "json_param": "filters", "field": "m"}),
        "field streams.party.filter: 'json_param' needs 'field' and excludes 'since'/'until'",
    ),
    "time format": (
        lambda d: d["streams"]["party"]["filter"].update(format="epoch"),
        "field streams.party.filter.format: Input should be 'iso_z', 'iso_utc', 'sql_utc' or 'sql_local'",
    ),
    "path": (
        lambda d: d["streams"]["party"].update(path="parties?x=1"),
        "field streams.party.path: 'parties?x=1' must start with '/'",
    ),
    "detail path": (
        lambda d: d["streams"]["party"].update(detail={"path": "/{name}"}),
        "field streams.party.detail.path: the path must use {id} and nothing else",
    ),
    "entity name": (
        lambda d: d["streams"].update({"Party Rows": d["streams"]["party"]}),
        "field streams: entity names ['Party Rows'] must be lower-case",
    ),
    "no streams": (lambda d: d.update(streams={}), "field streams: Dictionary should have at least 1 item"),
    "rate limit": (
        lambda d: d["streams"]["party"].update(rate_limit={"requests": 0, "per_seconds": 1}),
        "field streams.party.rate_limit.requests: Input should be greater than 0",
    ),
}


def test_a_good_declaration_loads(tmp_path):
    declaration = load_declaration(_declare(tmp_path, _good()))
    assert declaration.name == "acme" and list(declaration.streams) == ["party"]


@pytest.mark.parametrize("problem", BAD)
def test_a_bad_declaration_is_one_line_naming_file_field_and_rule(tmp_path, problem):
    change, expected = BAD[problem]
    path = _declare(tmp_path, _broken(change))
    with pytest.raises(ConfigError) as caught:
        load_declaration(path)
    text = str(caught.value)
    assert text.startswith(f"platform declaration {path.resolve()}: ")
    assert expected in text and "\n" not in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [("name: [unclosed", "is not valid YAML"), ("- a list", "field (file): Input should be a valid dictionary")],
)
def test_a_declaration_that_is_not_a_mapping_is_one_line(tmp_path, content, expected):
    path = tmp_path / "acme.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_declaration(path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="does not exist"):
        load_declaration(tmp_path / "missing.yaml")


# -- source kinds are open ------------------------------------------------------------------------------------------


def _sources(tmp_path: Path, **entry: Any) -> Path:
    base = {
        "name": "wms",
        "kind": "acme",
        "platform": "platforms/acme.yaml",
        "base_url": "https://wms.example.com",
        "entities": ["party"],
        "credentials": {"env": "ACME_TOKEN"},
    }
    path = tmp_path / "config" / "sources.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({"sources": [{**base, **entry}]}))
    return path


def test_a_declared_platform_is_a_source_kind_read_beside_the_sources_file(tmp_path, monkeypatch):
    (tmp_path / "config" / "platforms").mkdir(parents=True)
    _declare(tmp_path / "config" / "platforms", _good())
    monkeypatch.chdir(tmp_path)
    source = load_sources(_sources(tmp_path)).get("wms")
    assert source.served() == ("party",)
    assert Path(source.platform or "").is_absolute()
    assert isinstance(build_connector(source, Secret(token=TOKEN)), RestConnector)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"entities": ["order"]}, "entities ['order'] are not served by kind 'acme'; choose from ['party']"),
        ({"field_map": {"lot": {"lot": "x"}}}, "field_map names entities ['lot'] that kind 'acme' does not serve"),
        ({"kind": "acme_two"}, "declares name 'acme', not kind 'acme_two'"),
        ({"kind": "shopify"}, "kind 'shopify' is built in; a declared platform needs a name of its own"),
        ({"platform": None}, "kind 'acme' is not built in"),
        ({"platform": "platforms/none.yaml"}, "platform declaration"),
    ],
)
def test_a_source_that_does_not_fit_its_declaration_is_one_line(tmp_path, entry, expected):
    (tmp_path / "config" / "platforms").mkdir(parents=True)
    _declare(tmp_path / "config" / "platforms", _good())
    with pytest.raises(ConfigError) as caught:
        load_sources(_sources(tmp_path, **entry))
    text = str(caught.value)
    assert expected in text and "source 'wms'" in text and "\n" not in text
