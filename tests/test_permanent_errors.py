"""Permanent failures fail at once, without a retry, against the simulated platforms over loopback.

Every case runs with the production `RetryPolicy` (8 attempts, 300 s budget, first backoff 1 s):
one retry would already cost about a second, so "fewer than 2 s and one request" proves there
was none. Each case prints its measured time to fail (`pytest -rP` shows them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import Connector
from connectors.config import ConfigError, SourceConfig, load_sources
from connectors.errors import PERMANENT, AuthError, DeferSync, PlatformError, RetriesExhausted
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators import odoo as odoo_sim
from simulators.server import Response, SimServer, start
from simulators.world import World, generate_world
from trace_store import queries

pytestmark = pytest.mark.timeout(60)

TOKEN = "tk-Perm-7Hq2-never-show-me"
ENV = "TRACEHUB_TEST_PERMANENT_TOKEN"
UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
BOUND = 2.0
"""Seconds a permanent failure may take: less than the first backoff of one retry plus its request."""
ENTITY = {"shopify": "order", "shipbob": "shipment", "odoo": "lot"}


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(5, 0.1)


Serve = Callable[..., SimServer]


@pytest.fixture
def serve(world: World) -> Iterator[Serve]:
    """Start a simulator (of `world`, or another world) whose credential is TOKEN; stopped after the test."""
    servers: list[SimServer] = []

    def start_one(kind: str, of: World | None = None) -> SimServer:
        servers.append(start(kind, of or world, token=TOKEN))
        return servers[-1]

    yield start_one
    for server in servers:
        server.stop()


def source(kind: str, base_url: str, **overrides: Any) -> SourceConfig:
    """A source entry as a sources file would give it, for one entity of `kind`."""
    data: dict[str, Any] = {
        "name": f"{kind}_perm",
        "kind": kind,
        "base_url": base_url,
        "entities": [ENTITY[kind]],
        "credentials": {"env": ENV},
    }
    if kind == "odoo":
        data.update(database=odoo_sim.DATABASE, login=odoo_sim.LOGIN)
    data.update(overrides)
    return SourceConfig.model_validate(data)


def connect(kind: str, server: SimServer, monkeypatch: pytest.MonkeyPatch, token: str = TOKEN, **config: Any):
    monkeypatch.setenv(ENV, token)
    return build_connector(source(kind, server.base_url, **config))  # the production RetryPolicy


def pull(connector: Connector, entity: str) -> None:
    for _ in connector.pull(entity, None, UNTIL):
        pass


def fails_fast(case: str, expected: type[Exception], call: Callable[[], object]) -> Exception:
    """Run `call`, expecting `expected` within BOUND seconds; print the measured time to fail."""
    started = time.monotonic()
    with pytest.raises(expected) as caught:
        call()
    elapsed = time.monotonic() - started
    print(f"time to fail, {case}: {elapsed * 1000:.0f} ms -> {type(caught.value).__name__}")
    assert elapsed < BOUND, f"{case}: {elapsed:.2f} s, a retry happened"
    return caught.value


def requests_since(server: SimServer, before: int) -> list[str]:
    return [e.rpc or e.path for e in server.requests[before:]]


def assert_permanent(error: Exception, *words: str) -> None:
    message = f"{error} {error!r}"
    assert isinstance(error, PERMANENT)
    assert TOKEN not in message
    for word in words:
        assert word in str(error), (word, str(error))


# --- AuthError: the platform refuses the credentials --------------------------------------------


@pytest.mark.parametrize("kind", ["shopify", "shipbob", "odoo"])
def test_a_wrong_token_is_refused_at_once(serve: Serve, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    server = serve(kind)
    connector = connect(kind, server, monkeypatch, token="wrong-" + TOKEN)
    error = fails_fast(f"{kind} wrong token", AuthError, lambda: pull(connector, ENTITY[kind]))
    assert_permanent(error, f"{kind}_perm", "check the credentials", ENV)
    assert "wrong-" not in str(error)
    assert len(server.requests) == 1
    assert server.requests[0].status == (200 if kind == "odoo" else 401)  # Odoo: login answers `false`


def test_an_odoo_password_changed_after_login_is_access_denied(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve("odoo")
    connector = connect("odoo", server, monkeypatch)
    connector.check()
    server.platform.password = "rotated-by-the-admin"  # type: ignore[attr-defined]
    before = len(server.requests)
    error = fails_fast("odoo AccessDenied", AuthError, lambda: pull(connector, "lot"))
    assert_permanent(error, "odoo_perm", "Access Denied", ENV)
    assert requests_since(server, before) == ["object.execute_kw stock.lot.search_read"]


def test_a_403_is_refused_at_once(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shopify's answer to a token without the scope the call needs."""
    server = serve("shopify")
    scope = {"errors": "[API] This action requires merchant approval for read_orders scope."}
    monkeypatch.setattr(server.platform, "handle", lambda request: Response(403, scope))
    connector = connect("shopify", server, monkeypatch)
    error = fails_fast("shopify 403", AuthError, lambda: pull(connector, "order"))
    assert_permanent(error, "shopify_perm", "HTTP 403", "read_orders scope", ENV)
    assert len(server.requests) == 1


# --- ConfigError: the configuration cannot work ------------------------------------------------


def test_a_missing_environment_variable_fails_before_any_request(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve("shopify")
    monkeypatch.delenv(ENV, raising=False)
    config = source("shopify", server.base_url)
    error = fails_fast("missing env var", ConfigError, lambda: build_connector(config))
    assert_permanent(error, "source 'shopify_perm' field credentials.env", ENV, "is not set")
    assert server.requests == []


@pytest.mark.parametrize("kind", ["shopify", "odoo"])
def test_a_host_dns_does_not_know_fails_at_once(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """`.invalid` never resolves (RFC 6761): a typo in base_url, not an outage to retry for minutes."""
    monkeypatch.setenv(ENV, TOKEN)
    connector = build_connector(source(kind, "https://erp-typo.invalid"))
    error = fails_fast(f"{kind} unknown host", ConfigError, lambda: pull(connector, ENTITY[kind]))
    assert_permanent(error, f"source '{kind}_perm' field base_url", "'erp-typo.invalid' does not exist")


@pytest.mark.parametrize(
    ("variable", "words"),
    [
        (None, "not found; set AIRFLOW_CONN_TRACEHUB_PERM_ERP"),
        ("odoo://admin@127.0.0.1/tracehub", "has no password/token"),
        ('{"login": "admin", "password": ', "is not valid JSON"),
    ],
    ids=["missing", "no password", "bad JSON"],
)
def test_an_unusable_airflow_connection_fails_before_any_request(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, variable: str | None, words: str
) -> None:
    import airflow.sdk  # noqa: F401 - its import (about 2 s, once per process) is not time spent failing

    server = serve("odoo")
    if variable is None:
        monkeypatch.delenv("AIRFLOW_CONN_TRACEHUB_PERM_ERP", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW_CONN_TRACEHUB_PERM_ERP", variable)
    config = source("odoo", server.base_url, credentials={"airflow_conn": "tracehub_perm_erp"})
    error = fails_fast(f"Airflow connection {words.split(';')[0]}", ConfigError, lambda: build_connector(config))
    assert_permanent(error, "source 'odoo_perm' field credentials.airflow_conn", "'tracehub_perm_erp'", words)
    assert server.requests == []


UNSENDABLE = {"trailing newline": TOKEN + "\n", "leading space": " " + TOKEN, "typographic quotes": f"“{TOKEN}”"}


@pytest.mark.parametrize("kind", ["shopify", "shipbob"])
@pytest.mark.parametrize("flaw", list(UNSENDABLE))
def test_a_token_that_cannot_be_a_header_fails_before_any_request(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, kind: str, flaw: str
) -> None:
    """Sent anyway, requests or http.client would fail with the header, the token, in the message."""
    server = serve(kind)
    monkeypatch.setenv(ENV, UNSENDABLE[flaw])
    config = source(kind, server.base_url)
    error = fails_fast(f"{kind} token with a {flaw}", ConfigError, lambda: build_connector(config))
    assert_permanent(error, f"source '{kind}_perm' field credentials", ENV, "set it to the bare token")
    assert server.requests == []


def test_an_unknown_odoo_database_fails_at_once(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    """Odoo passes PostgreSQL's words on as psycopg2.OperationalError: final for this one database."""
    server = serve("odoo")
    connector = connect("odoo", server, monkeypatch, database="production_typo")
    error = fails_fast("odoo unknown database", ConfigError, lambda: pull(connector, "lot"))
    assert_permanent(
        error, "source 'odoo_perm' field database", "no database 'production_typo' (from the sources file)"
    )
    assert 'database "production_typo" does not exist' in str(error)
    assert requests_since(server, 0) == ["common.login"]


def test_an_unknown_odoo_database_from_the_airflow_connection_says_so(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve("odoo")
    monkeypatch.setenv("AIRFLOW_CONN_TRACEHUB_PERM_ERP", f"odoo://admin:{TOKEN}@127.0.0.1/nosuchdb")
    config = source(
        "odoo", server.base_url, database=None, login=None, credentials={"airflow_conn": "tracehub_perm_erp"}
    )
    connector = build_connector(config)
    error = fails_fast("odoo unknown database (Airflow schema)", ConfigError, connector.check)
    assert_permanent(error, "field database", "'nosuchdb' (from the schema of Airflow connection 'tracehub_perm_erp')")
    assert len(server.requests) == 1


def test_an_odoo_without_the_app_of_a_model_fails_at_once(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database without Manufacturing has no mrp.production: Odoo's UserError names the model."""
    no_mrp = generate_world(5, 0.1)
    del no_mrp.odoo["mrp.production"]
    server = serve("odoo", no_mrp)
    connector = connect("odoo", server, monkeypatch, entities=["lot", "batch_record"])
    error = fails_fast("odoo unknown model", ConfigError, lambda: pull(connector, "batch_record"))
    assert_permanent(
        error,
        "source 'odoo_perm' field entities",
        "no model 'mrp.production', needed by entities ['batch_record']",
        "Object mrp.production doesn't exist",
    )
    assert requests_since(server, 0) == ["common.login", "object.execute_kw mrp.production.search_read"]


def test_a_field_map_field_the_database_lacks_fails_at_once(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve("odoo", generate_world(5, 0.1, studio=False))
    field_map = {"device": {"registration_no": "x_studio_registration_no"}}
    connector = connect("odoo", server, monkeypatch, entities=["device"], field_map=field_map)
    error = fails_fast("odoo unknown field (field_map)", ConfigError, lambda: pull(connector, "device"))
    assert_permanent(
        error, "source 'odoo_perm' field field_map.device", "'product.product' has no field 'x_studio_registration_no'"
    )
    assert requests_since(server, 0) == ["common.login", "object.execute_kw product.product.search_read"]


def test_a_standard_field_of_a_module_not_installed_fails_at_once(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lot expiry comes from product_expiry: without that module Odoo refuses the field."""
    server = serve("odoo")
    del server.platform.types["stock.lot"]["expiration_date"]  # type: ignore[attr-defined]
    connector = connect("odoo", server, monkeypatch)
    error = fails_fast("odoo unknown field (module)", ConfigError, lambda: pull(connector, "lot"))
    assert_permanent(
        error,
        "source 'odoo_perm' field entities",
        "'stock.lot' has no field 'expiration_date', needed by entities ['lot']",
    )
    assert requests_since(server, 0) == ["common.login", "object.execute_kw stock.lot.search_read"]


MALFORMED = [
    ("http://", "'http://' has no host"),
    ("https://", "'https://' has no host"),
    ("https:///admin", "has no host"),
    ("http://exa mple.com", "contains spaces"),
    ("ftp://example.com", "must start with http:// or https://"),
    ("example.myshopify.com", "must start with http:// or https://"),
    ("http://host:99999", "has an invalid port"),
    ("http://host:port", "has an invalid port"),
    ("https://-bad-.example.com", "has an invalid host"),
    ("https://.example.com", "has an invalid host"),
    ("https://admin:s3cr3t-pw@erp.example.com", "must not carry a user name or password"),
    ("https://api.shipbob.com?token=s3cr3t-pw", "must not have a query"),
]


@pytest.mark.parametrize(("url", "words"), MALFORMED, ids=[url for url, _ in MALFORMED])
def test_a_malformed_base_url_is_named_when_the_sources_file_is_read(tmp_path: Path, url: str, words: str) -> None:
    path = tmp_path / "sources.yaml"
    entry = {"name": "shop", "kind": "shopify", "base_url": url, "entities": ["order"], "credentials": {"env": ENV}}
    path.write_text(yaml.safe_dump({"sources": [entry]}))
    error = fails_fast(f"base_url {url!r}", ConfigError, lambda: load_sources(path))
    assert_permanent(error, f"sources file {path}: source 'shop' field base_url: ", words, "e.g. https://")
    assert "s3cr3t-pw" not in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "https://example-meddevice.myshopify.com",
        "http://127.0.0.1:8069",
        "https://erp.example.com/odoo/",
        "http://[::1]:8080",
        "http://odoo_web:8069",
        "https://bücher.example",
        "HTTPS://API.SHIPBOB.COM",
    ],
)
def test_usable_base_urls_are_accepted(url: str) -> None:
    assert source("shopify", url).base_url == url


# --- PlatformError and DeferSync ----------------------------------------------------------------


def test_a_final_4xx_fails_at_once_with_the_platform_message(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve("shopify")
    connector = connect("shopify", server, monkeypatch)
    path = "/admin/api/2025-10/orders.json"
    call = lambda: connector.http.request("GET", path, params={"limit": 400})  # noqa: E731
    error = fails_fast("shopify HTTP 400", PlatformError, call)
    assert_permanent(error, "shopify_perm", "HTTP 400", "must be an integer between 1 and 250")
    assert len(server.requests) == 1


@pytest.mark.parametrize("kind", ["shopify", "shipbob", "odoo"])
@pytest.mark.parametrize("header", ["Retry-After", "x-retry-after"])
def test_a_long_retry_after_defers_with_the_pause_asked(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, kind: str, header: str
) -> None:
    server = serve(kind)
    answer = Response(429, {"errors": "Exceeded 2 calls per second for api client."}, {header: "600"})
    monkeypatch.setattr(server.platform, "handle", lambda request: answer)
    connector = connect(kind, server, monkeypatch)
    error = fails_fast(f"{kind} 429 {header}: 600", DeferSync, lambda: pull(connector, ENTITY[kind]))
    assert isinstance(error, DeferSync) and not isinstance(error, PERMANENT)
    assert error.retry_after == 600
    assert f"{kind}_perm" in str(error) and "asking to wait 600 s" in str(error)
    assert len(server.requests) == 1


def test_a_retry_after_date_defers_until_that_moment(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve("shipbob")
    when = datetime.now(UTC) + timedelta(hours=1)
    answer = Response(503, "<h1>503 Service Unavailable</h1>", {"Retry-After": format_datetime(when, usegmt=True)})
    monkeypatch.setattr(server.platform, "handle", lambda request: answer)
    connector = connect("shipbob", server, monkeypatch)
    error = fails_fast("shipbob 503 Retry-After date", DeferSync, lambda: pull(connector, "shipment"))
    assert isinstance(error, DeferSync)
    assert 3590 < error.retry_after <= 3600


def test_transient_failures_are_not_permanent() -> None:
    exhausted = RetriesExhausted("shop", "gave up", endpoint="GET /orders.json", attempts=8, last_error="HTTP 503")
    deferred = DeferSync("shop", "wait", retry_after=600)
    assert not isinstance(exhausted, PERMANENT) and not isinstance(deferred, PERMANENT)
    assert ConfigError in PERMANENT and AuthError in PERMANENT and PlatformError in PERMANENT


# --- Through the pipeline: the run is recorded failed, quickly ----------------------------------


@pytest.mark.parametrize(
    ("kind", "config", "expected"),
    [
        ("shopify", {}, AuthError),
        ("odoo", {"database": "production_typo"}, ConfigError),
    ],
    ids=["wrong token", "unknown database"],
)
def test_a_sync_with_a_permanent_error_fails_its_run_at_once(
    store: Any, serve: Serve, monkeypatch: pytest.MonkeyPatch, kind: str, config: dict[str, Any], expected: type
) -> None:
    server = serve(kind)
    token = "wrong-" + TOKEN if expected is AuthError else TOKEN
    settings = source(kind, server.base_url, **config)
    connector = connect(kind, server, monkeypatch, token=token, **config)
    with pytest.raises(expected):  # no time bound: a run also opens the store and loads the mapping
        sync(settings, ENTITY[kind], store, connector)
    run = queries.stats(store)["runs"][0]
    assert run["status"] == "failed" and len(server.requests) == 1  # one request: no retry
    assert TOKEN not in str(queries.runs(store))
