"""One conformance suite for every connector, over real HTTP against the simulated platforms.

Each case is a (platform kind, entity) pair; the world's own records are the expected answer.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Connector, RawRecord
from connectors.config import ENTITIES_BY_KIND, ConfigError, Secret, SourceConfig
from connectors.errors import AuthError, ConnectorError, DeferSync, PlatformError, RetriesExhausted
from connectors.http import RetryPolicy
from connectors.ratelimit import TokenBucket
from connectors.registry import build_connector
from connectors.timefmt import parse_utc
from simulators import odoo as odoo_sim
from simulators.server import Faults, SimServer, start
from simulators.world import World, generate_world

pytestmark = pytest.mark.timeout(120)

TOKEN = "tk-Zq81-never-show-me-3307"
ENV = "TRACEHUB_TEST_CONNECTOR_TOKEN"
UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
TIMEOUT = 0.5
SLOW = 0.8
SLACK = 0.01
FAST = RetryPolicy(attempts=8, budget_seconds=60, initial_wait=0.02, max_wait=0.3, defer_over=5.0)
KINDS = ("shopify", "shipbob", "odoo")


def _odoo_model(model: str, keep: Callable[[dict[str, Any]], bool] = lambda r: True) -> Callable[[World], list]:
    return lambda world: [r for r in world.odoo[model] if keep(r)]


def _field(name: str) -> Callable[[dict[str, Any]], datetime]:
    return lambda record: parse_utc(record[name])


@dataclass(frozen=True)
class Case:
    """A platform entity and how to find its records, with id and change time, in the world.

    `rows` are what the platform lists (and pages); `records` the raw records the connector makes
    of them, each with its change time (`when`); `window` the time the platform's update filter
    reads (the row's, for a ShipBob shipment its order's). `identity` reads a raw record's id
    from its payload.
    """

    kind: str
    entity: str
    rows: Callable[[World], list[dict[str, Any]]]
    when: Callable[[dict[str, Any]], datetime]
    records: Callable[[World], list[dict[str, Any]]] | None = None
    window: Callable[[World, dict[str, Any]], datetime] | None = None
    identity: Callable[[dict[str, Any]], Any] = lambda payload: payload["id"]

    def expected(self, world: World) -> dict[str, datetime]:
        return {str(r["id"]): self.when(r) for r in (self.records or self.rows)(world)}

    def windows(self, world: World) -> dict[str, datetime]:
        if self.window is None:
            return self.expected(world)
        return {str(r["id"]): self.window(world, r) for r in (self.records or self.rows)(world)}

    def __str__(self) -> str:
        return f"{self.kind}-{self.entity}"


def _order_updated(world: World, shipment: dict[str, Any]) -> datetime:
    order = world.shipbob_order_of(shipment["id"])
    return max([parse_utc(order["created_date"]), *(parse_utc(s["last_update_at"]) for s in order["shipments"])])


def _return_time(record: dict[str, Any]) -> datetime:
    return max(parse_utc(h["timestamp"]) for h in record["status_history"])


SHOPIFY = Case("shopify", "order", lambda w: w.shopify_orders, _field("updated_at"))
SHIPBOB = Case(
    "shipbob",
    "shipment",
    lambda w: w.shipbob_orders,
    _field("last_update_at"),
    records=lambda w: [s for o in w.shipbob_orders for s in o["shipments"]],
    window=_order_updated,
    identity=lambda payload: payload["shipments"][0]["id"],
)
ODOO_LOT = Case("odoo", "lot", _odoo_model("stock.lot"), _field("write_date"))
ODOO_BATCH = Case(
    "odoo", "batch_record", _odoo_model("mrp.production", lambda r: r["state"] == "done"), _field("write_date")
)
ALL_CASES = (
    SHOPIFY,
    SHIPBOB,
    Case("odoo", "device", _odoo_model("product.product"), _field("write_date")),
    Case("odoo", "party", _odoo_model("res.partner", lambda r: r["is_company"]), _field("write_date")),
    ODOO_LOT,
    ODOO_BATCH,
    Case(
        "odoo",
        "invoice",
        _odoo_model("account.move", lambda r: r["move_type"] == "out_invoice" and r["state"] == "posted"),
        _field("write_date"),
    ),
    Case("shipbob", "return", lambda w: w.shipbob_returns, _return_time),
    Case("odoo", "scrap", _odoo_model("stock.scrap", lambda r: r["state"] == "done"), _field("write_date")),
)
ONE_PER_KIND = (SHOPIFY, SHIPBOB, ODOO_BATCH)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(11, 0.3)


Opener = Callable[..., tuple[SimServer, Connector]]


@pytest.fixture
def platform(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Opener]:
    """Start a simulated platform and a connector configured for it, the way a YAML entry would."""
    servers: list[SimServer] = []

    def open_platform(
        kind: str,
        *,
        faults: Faults | None = None,
        token: str = TOKEN,
        page_size: int = 7,
        policy: RetryPolicy = FAST,
        **config: Any,
    ) -> tuple[SimServer, Connector]:
        server = start(kind, world, token=TOKEN, faults=faults)
        servers.append(server)
        monkeypatch.setenv(ENV, token)
        odoo = {"database": odoo_sim.DATABASE, "login": odoo_sim.LOGIN} if kind == "odoo" else {}
        source = SourceConfig.model_validate(
            {
                "name": f"{kind}_test",
                "kind": kind,
                "base_url": server.base_url,
                "entities": list(ENTITIES_BY_KIND[kind]),
                "credentials": {"env": ENV},
                "page_size": page_size,
                "timeout_seconds": TIMEOUT,
                **odoo,
                **config,
            }
        )
        return server, build_connector(source, policy=policy)

    yield open_platform
    for server in servers:
        server.stop()


def _pull(
    connector: Connector, entity: str, since: datetime | None = None, until: datetime = UNTIL
) -> list[list[RawRecord]]:
    return list(connector.pull(entity, since, until))


def _flat(pages: list[list[RawRecord]]) -> list[RawRecord]:
    return [record for page in pages for record in page]


def _assert_waits_honoured(server: SimServer, min_backoff: float) -> int:
    """After every answer that asked for a pause, the next request came no sooner; returns how many."""
    entries = sorted(server.requests, key=lambda e: e.at)
    asked = 0
    for before, after in itertools.pairwise(entries):
        if before.retry_after is not None:
            asked += 1
            assert after.at >= before.at + max(before.retry_after, min_backoff) - SLACK, (before, after)
    return asked


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_check_proves_the_connection_in_one_call(platform: Opener, case: Case) -> None:
    server, connector = platform(case.kind)
    line = connector.check()
    assert line.startswith(f"{case.kind} {case.kind}_test: ")
    assert len(server.requests) == 1
    assert server.requests[0].status == 200


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_full_pull_returns_every_record_once_oldest_first(platform: Opener, world: World, case: Case) -> None:
    _, connector = platform(case.kind)
    pages = _pull(connector, case.entity)
    records = _flat(pages)
    expected = case.expected(world)
    assert sorted(r.external_id for r in records) == sorted(expected)
    assert {r.external_id: r.updated_at for r in records} == expected
    assert all(0 < len({str(r.payload.get("id", r.external_id)) for r in page}) <= 7 for page in pages)  # rows
    assert all(r.updated_at.tzinfo == UTC and str(case.identity(r.payload)) == r.external_id for r in records)
    for page in pages:
        assert [r.updated_at for r in page] == sorted(r.updated_at for r in page)
    if case.window is None and case.entity != "return":
        assert [r.updated_at for r in records] == sorted(r.updated_at for r in records)


@pytest.mark.parametrize("case", (*ONE_PER_KIND, ODOO_LOT), ids=str)
def test_incremental_windows_are_inclusive_at_both_ends(platform: Opener, world: World, case: Case) -> None:
    _, connector = platform(case.kind)
    expected = case.windows(world)
    moments = sorted(set(expected.values()))
    low, mid, high = moments[len(moments) // 4], moments[len(moments) // 2], moments[3 * len(moments) // 4]

    def ids(since: datetime | None, until: datetime) -> list[str]:
        return sorted(r.external_id for r in _flat(_pull(connector, case.entity, since, until)))

    def wanted(since: datetime | None, until: datetime) -> list[str]:
        return sorted(i for i, t in expected.items() if (since is None or t >= since) and t <= until)

    assert ids(None, mid) == wanted(None, mid)
    assert ids(mid, UNTIL) == wanted(mid, UNTIL)
    assert ids(low, high) == wanted(low, high)
    assert set(ids(None, mid)) & set(ids(mid, UNTIL)) == {i for i, t in expected.items() if t == mid}
    assert ids(None, moments[0].replace(year=2000)) == []


@pytest.mark.parametrize("case", (*ONE_PER_KIND, ODOO_LOT), ids=str)
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_page_boundaries(platform: Opener, world: World, case: Case, delta: int) -> None:
    total = len(case.rows(world))
    size = max(1, total // 2 + delta)
    _, connector = platform(case.kind, page_size=size)
    pages = _pull(connector, case.entity)
    assert sorted(r.external_id for r in _flat(pages)) == sorted(case.expected(world))
    rows = [len({str(r.payload["id"]) for r in page}) for page in pages]
    assert rows[:-1] == [size] * (len(pages) - 1)
    assert len(pages) == math.ceil(total / size)


@pytest.mark.parametrize("entity", ["return", "inventory"])
def test_lists_without_an_update_filter_are_pulled_whole_every_time(
    platform: Opener, world: World, entity: str
) -> None:
    """ShipBob offers no update filter on returns and lot inventory: every pull is the whole list.

    Exactly-once comes from the store: each raw record is keyed by id and content hash, so an
    unchanged one is skipped (tests/test_pipeline_incremental.py shows it end to end).
    """
    _, connector = platform("shipbob", page_size=2)
    everything = sorted(r.external_id for r in _flat(_pull(connector, entity)))
    assert everything == sorted(_pull_ids(connector, entity, since=UNTIL))
    rows = world.shipbob_returns if entity == "return" else world.shipbob_inventory
    key = "id" if entity == "return" else "inventory_id"
    assert everything == sorted(str(r[key]) for r in rows)


def _pull_ids(connector: Connector, entity: str, since: datetime) -> list[str]:
    return [r.external_id for r in _flat(_pull(connector, entity, since=since))]


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
@pytest.mark.parametrize("call", ["check", "pull"])
def test_bad_credentials_fail_at_once_naming_the_source(platform: Opener, case: Case, call: str) -> None:
    server, connector = platform(case.kind, token="wrong-" + TOKEN)
    with pytest.raises(AuthError) as caught:
        connector.check() if call == "check" else _pull(connector, case.entity)
    message = str(caught.value)
    assert f"{case.kind}_test" in message and "check the credentials" in message and ENV in message
    assert TOKEN not in message + repr(caught.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_twenty_percent_faults_give_the_identical_result(
    platform: Opener, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    _, clean = platform(case.kind)
    expected = _flat(_pull(clean, case.entity))
    faults = Faults(rate=0.2, seed=1, slow_seconds=SLOW)
    server, connector = platform(case.kind, faults=faults)
    with caplog.at_level(logging.WARNING, logger="connectors"):
        assert _flat(_pull(connector, case.entity)) == expected
    assert any(e.fault for e in server.requests)
    _assert_waits_honoured(server, FAST.initial_wait)
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and f"{case.kind}_test" in r.getMessage()]
    assert len(retries) == sum(1 for e in server.requests if e.fault)


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_retry_after_is_waited_out_and_zero_still_backs_off(platform: Opener, case: Case) -> None:
    server, connector = platform(case.kind, page_size=25, faults=Faults(rate=0.4, kinds=("429",), seed=3))
    _pull(connector, case.entity)
    assert _assert_waits_honoured(server, FAST.initial_wait) >= 3


@pytest.mark.parametrize("kind", ["500", "503", "slow", "drop", "truncate"])
def test_each_transient_fault_is_retried(platform: Opener, world: World, kind: str) -> None:
    server, connector = platform("shopify", faults=Faults(rate=0.3, kinds=(kind,), seed=5, slow_seconds=SLOW))
    assert sorted(r.external_id for r in _flat(_pull(connector, "order"))) == sorted(SHOPIFY.expected(world))
    assert any(e.fault == kind for e in server.requests)


def test_transient_odoo_errors_inside_http_200_are_retried(platform: Opener, world: World) -> None:
    server, connector = platform("odoo", faults=Faults(rate=0.3, kinds=("odoo_error",), seed=5))
    assert sorted(r.external_id for r in _flat(_pull(connector, "lot"))) == sorted(ODOO_LOT.expected(world))
    assert any(e.fault == "odoo_error" for e in server.requests)


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_retry_after_over_the_cap_defers_the_sync(platform: Opener, case: Case) -> None:
    policy = RetryPolicy(initial_wait=0.01, max_wait=0.05, defer_over=0.05)
    _, connector = platform(case.kind, faults=Faults(rate=1.0, kinds=("429",), seed=2), policy=policy)
    with pytest.raises(DeferSync) as caught:
        _pull(connector, case.entity)
    assert caught.value.retry_after > 0.05
    assert f"{case.kind}_test" in str(caught.value)


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_retries_exhausted_names_source_endpoint_attempts_and_error(platform: Opener, case: Case) -> None:
    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02)
    server, connector = platform(case.kind, faults=Faults(rate=1.0, kinds=("500",)), policy=policy)
    with pytest.raises(RetriesExhausted) as caught:
        _pull(connector, case.entity)
    error = caught.value
    assert error.attempts == 3 and len(server.requests) == 3
    assert f"{case.kind}_test" in str(error) and error.endpoint in str(error)
    assert "3 attempts" in str(error) and "HTTP 500" in error.last_error


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=str)
def test_the_token_never_leaks(platform: Opener, case: Case, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    _, connector = platform(case.kind, page_size=25, faults=Faults(rate=0.3, seed=9, slow_seconds=SLOW))
    _pull(connector, case.entity)
    seen.append(repr(connector))
    for policy, faults, token in (
        (
            RetryPolicy(attempts=2, initial_wait=0.01),
            Faults(rate=1.0, kinds=("500", "drop", "slow"), seed=4, slow_seconds=SLOW),
            TOKEN,
        ),
        (FAST, None, "wrong-" + TOKEN),
        (RetryPolicy(defer_over=0.01), Faults(rate=1.0, kinds=("429",), seed=2), TOKEN),
    ):
        _, failing = platform(case.kind, faults=faults, policy=policy, token=token)
        with pytest.raises(ConnectorError) as caught:
            _pull(failing, case.entity)
        seen += [str(caught.value), repr(caught.value), repr(caught.value.__cause__)]
    seen += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert caplog.records
    assert not [text for text in seen if TOKEN in text]


def test_rate_limit_spaces_requests_per_credential(platform: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    """The moments the client's bucket lets requests go, not when a loaded server got round to them."""
    granted: list[float] = []
    acquire = TokenBucket.acquire

    def recording(bucket: TokenBucket) -> None:
        acquire(bucket)
        granted.append(time.monotonic())

    monkeypatch.setattr(TokenBucket, "acquire", recording)
    server, connector = platform("shipbob", page_size=5, rate_limit={"requests": 20, "per_seconds": 1, "burst": 1})
    _pull(connector, "shipment")
    assert len(granted) == len(server.requests) >= 5
    assert all(b - a >= 1 / 20 - SLACK for a, b in itertools.pairwise(granted))


@pytest.mark.parametrize(
    ("kind", "path", "params", "words"),
    [
        ("shopify", "/admin/api/2025-10/orders.json", {"limit": 400}, "must be an integer between 1 and 250"),
        ("shipbob", "/2026-01/order", {"Limit": 999}, "The value '999' is not valid for Limit"),
    ],
)
def test_other_4xx_fail_at_once_with_the_platform_message(
    platform: Opener, kind: str, path: str, params: dict[str, Any], words: str
) -> None:
    server, connector = platform(kind)
    with pytest.raises(PlatformError) as caught:
        connector.http.request("GET", path, params=params)
    assert caught.value.status == 400 and words in caught.value.platform_message
    assert words in str(caught.value) and f"{kind}_test" in str(caught.value)
    assert len(server.requests) == 1


def test_final_odoo_errors_inside_http_200_fail_at_once(platform: Opener) -> None:
    server, connector = platform("odoo")
    with pytest.raises(PlatformError, match=r"Record does not exist or has been deleted") as caught:
        connector._execute("stock.lot", "read", [[987654]], {"fields": ["name"]})
    assert "odoo.exceptions.MissingError" in caught.value.platform_message
    assert [e.rpc for e in server.requests] == ["common.login", "object.execute_kw stock.lot.read"]


def test_an_odoo_model_the_database_lacks_is_a_configuration_error(platform: Opener) -> None:
    server, connector = platform("odoo")
    with pytest.raises(ConfigError, match=r"no model 'no\.such\.model' \(Odoo: Object no\.such\.model doesn.t exist\)"):
        connector._execute("no.such.model", "search_read", [[]], {})
    assert [e.rpc for e in server.requests] == ["common.login", "object.execute_kw no.such.model.search_read"]


def _by_id(world: World, model: str) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in world.odoo[model]}


def test_odoo_relations_expand_with_one_read_per_relation_per_page(platform: Opener, world: World) -> None:
    server, connector = platform("odoo", page_size=10)
    pages = _pull(connector, "batch_record")
    products, lots, moves, move_lines = (
        _by_id(world, m) for m in ("product.product", "stock.lot", "stock.move", "stock.move.line")
    )
    for production in _flat(pages):
        source = world.record("odoo", production.external_id)
        payload = production.payload
        product = products[source["product_id"][0]]
        assert payload["product_id"] == {
            "id": product["id"],
            "barcode": product["barcode"],
            "default_code": product["default_code"],
        }
        assert payload["lot_producing_id"] == {
            "id": source["lot_producing_id"][0],
            "name": lots[source["lot_producing_id"][0]]["name"],
        }
        assert [m["id"] for m in payload["move_raw_ids"]] == sorted(source["move_raw_ids"])
        for move in payload["move_raw_ids"]:
            raw = moves[move["id"]]
            assert move["quantity"] == raw["quantity"]
            assert move["product_id"]["barcode"] == products[raw["product_id"][0]]["barcode"]
            expected_lines = [move_lines[i] for i in sorted(raw["move_line_ids"])]
            assert [
                (line["id"], line["quantity"], line["lot_id"] and line["lot_id"]["name"])
                for line in move["move_line_ids"]
            ] == [(line["id"], line["quantity"], line["lot_id"] and line["lot_id"][1]) for line in expected_lines]
    reads = [e.rpc for e in server.requests if e.rpc and e.rpc.endswith(".read")]
    assert len(reads) == 6 * len(pages)  # product, producing lot, moves, their products, move lines, their lots


def test_odoo_lots_and_invoices_carry_their_products(platform: Opener, world: World) -> None:
    _, connector = platform("odoo", page_size=50)
    products = _by_id(world, "product.product")
    for lot in _flat(_pull(connector, "lot")):
        product = products[world.record("odoo", lot.external_id)["product_id"][0]]
        assert lot.payload["product_id"] == {k: product[k] for k in ("id", "barcode", "default_code", "name")}
    lines = _by_id(world, "account.move.line")
    for invoice in _flat(_pull(connector, "invoice")):
        source = world.record("odoo", invoice.external_id)
        got = invoice.payload["invoice_line_ids"]
        assert [line["id"] for line in got] == sorted(source["invoice_line_ids"])
        for line in got:
            raw = lines[line["id"]]
            assert {k: line[k] for k in ("name", "quantity", "price_unit", "price_subtotal")} == {
                k: raw[k] for k in ("name", "quantity", "price_unit", "price_subtotal")
            }
            assert line["product_id"]["barcode"] == products[raw["product_id"][0]]["barcode"]
        assert invoice.payload["partner_id"] == source["partner_id"]


def _standard_odoo(**config: Any) -> tuple[SimServer, Connector, World]:
    """A standard Odoo 17 install (no custom fields) and a connector configured for it."""
    standard = generate_world(11, 0.3, studio=False)
    server = start("odoo", standard, token=TOKEN)
    source = SourceConfig.model_validate(
        {
            "name": "erp_std",
            "kind": "odoo",
            "base_url": server.base_url,
            "entities": list(ENTITIES_BY_KIND["odoo"]),
            "credentials": {"env": ENV},
            "database": odoo_sim.DATABASE,
            "login": odoo_sim.LOGIN,
            **config,
        }
    )
    return server, build_connector(source, secret=Secret(token=TOKEN), policy=FAST), standard


def test_a_standard_odoo_is_read_with_standard_fields_only() -> None:
    """Every entity pulls whole from a database without any custom field (it refuses unknown fields)."""
    server, connector, standard = _standard_odoo()
    try:
        products = {str(p["id"]) for p in standard.odoo["product.product"]}
        assert {r.external_id for r in _flat(_pull(connector, "device"))} == products  # archived ones too
        for entity in ENTITIES_BY_KIND["odoo"]:
            assert _flat(_pull(connector, entity)), entity
    finally:
        server.stop()


def test_a_field_map_naming_a_field_the_database_lacks_fails_at_once() -> None:
    """The standard install's answer to an unknown field, `ValueError` inside an HTTP 200, names the field map."""
    server, connector, _ = _standard_odoo(field_map={"device": {"registration_no": "x_studio_registration_no"}})
    try:
        with pytest.raises(
            ConfigError, match=r"source 'erp_std' field field_map\.device: .*'x_studio_registration_no'"
        ):
            _pull(connector, "device")
        assert len([e for e in server.requests if e.rpc and "search_read" in e.rpc]) == 1
    finally:
        server.stop()
