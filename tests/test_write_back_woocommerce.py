"""Write-back to a WooCommerce store over loopback HTTP: each shipped shipment once as order meta, lots included."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from commands import tracehub
from platforms import source_config, token_env

from connectors.config import SourceConfig
from connectors.http import RetryPolicy
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.server import Faults, SimServer, start
from simulators.world import World, generate_world, quarantined_shipments
from trace_store.schema import audit_log, push_ledger
from trace_store.store import Store
from write_back.run import destination_for, push_source
from write_back.woocommerce import META_PREFIX

FAST = RetryPolicy(attempts=8, budget_seconds=60, initial_wait=0.05, max_wait=0.5)
SECRET_ENV = "TRACEHUB_TEST_STORE_SECRET"


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, 0.1)


def store_config(base_url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "store",
            "kind": "woocommerce",
            "base_url": base_url,
            "entities": ["variant", "order"],
            "credentials": {"env": SECRET_ENV},
            "login": "ck_woo-token",
            "timeout_seconds": 1,
        }
    )


@pytest.fixture(scope="module")
def synced(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ERP's devices, the store's products and orders, the warehouse's shipments: synced once."""
    path = tmp_path_factory.mktemp("woo-synced") / "tracehub.db"
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(token_env("erp"), "erp-token")
        monkeypatch.setenv(token_env("warehouse"), "wh-token")
        monkeypatch.setenv(SECRET_ENV, "cs_woo-token")
        with (
            start("odoo", world, "erp-token") as erp,
            start("woocommerce", world, "woo-token") as shop,
            start("shipbob", world, "wh-token") as warehouse,
        ):
            devices = source_config("erp", erp.base_url, entities=["device"])
            sync(devices, "device", store, build_connector(devices))
            woo = store_config(shop.base_url)
            for entity in woo.entities:
                sync(woo, entity, store, build_connector(woo))
            shipments = source_config("warehouse", warehouse.base_url, entities=["shipment"])
            sync(shipments, "shipment", store, build_connector(shipments))
    store.close()
    return path


def _store(
    world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: Faults
) -> Iterator[tuple[SimServer, Store, SourceConfig]]:
    db = tmp_path / "tracehub.db"
    shutil.copy(synced, db)
    monkeypatch.setenv(SECRET_ENV, "cs_woo-token")
    with start("woocommerce", world, "woo-token", faults) as server:
        store = Store.open(f"sqlite:///{db}")
        try:
            yield server, store, store_config(server.base_url)
        finally:
            store.close()


@pytest.fixture
def woo(
    world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SimServer, Store, SourceConfig]]:
    yield from _store(world, synced, tmp_path, monkeypatch, Faults())


def expected(world: World) -> dict[tuple[int, str], tuple[str, str, Counter[tuple[str, str]]]]:
    """(order number, meta key) -> (tracking, carrier, units per (sku, lot)) of each shipped shipment in the store.

    Less the shipments the defect plan quarantines and those of the order whose line quantity is not
    positive (quarantined on WooCommerce too, which, unlike Shopify, never serves a bad currency or date).
    """
    lost = quarantined_shipments(world)
    bad_orders = {
        int(o["order_number"])
        for o in world.shopify_orders
        if any(e["external_id"] == str(o["id"]) and e["defect"] == "non_positive_quantity" for e in world.defect_plan)
    }
    out = {}
    for order in world.shipbob_orders:
        for ship in order["shipments"]:
            tracking = ship.get("tracking") or {}
            if ship["status"] != "Completed" or str(ship["id"]) in lost or not tracking.get("tracking_number"):
                continue
            units: Counter[tuple[str, str]] = Counter()
            for product in ship["products"]:
                for item in product["inventory_items"]:
                    units[(product["sku"], item["lot"])] += item["quantity"]
            if int(order["order_number"]) in bad_orders:
                continue
            key = (int(order["order_number"]), f"{META_PREFIX}warehouse_{ship['id']}")
            out[key] = (tracking["tracking_number"], tracking["carrier"], units)
    return out


def held(server: SimServer) -> dict[tuple[int, str], tuple[str, str, Counter[tuple[str, str]]]]:
    out = {}
    for order in server.platform.store.orders:  # type: ignore[attr-defined]
        entries = [m for m in order["meta_data"] if m["key"].startswith(META_PREFIX)]
        assert len({m["key"] for m in entries}) == len(entries), "one entry per shipment"
        for meta in entries:
            value = json.loads(meta["value"])
            units: Counter[tuple[str, str]] = Counter()
            for lot in value["lots"]:
                units[(lot["sku"], lot["lot"])] += int(lot["qty"])
            out[(int(order["number"]), meta["key"])] = (value["tracking_number"], value["carrier"], units)
    return out


def test_shipments_become_order_meta_once_with_their_lots(
    world: World, woo: tuple[SimServer, Store, SourceConfig]
) -> None:
    server, store, config = woo
    want = expected(world)
    assert len(want) >= 10
    outcomes = push_source(store, config, destination=destination_for(config, policy=FAST))
    assert Counter(o.outcome for o in outcomes) == {"pushed": len(want)}
    assert held(server) == want
    puts = [r for r in server.requests if r.method == "PUT"]
    assert len(puts) == len(want) and {r.status for r in puts} == {200}
    with store.connect() as conn:
        states = Counter(r.state for r in conn.execute(sa.select(push_ledger.c.state)))
        audited = conn.execute(
            sa.select(sa.func.count()).select_from(audit_log).where(audit_log.c.action == "writeback.pushed")
        ).scalar_one()
    assert states == {"pushed": len(want)} and audited == len(want)
    before = len(server.requests)
    assert push_source(store, config, destination=destination_for(config, policy=FAST)) == []
    assert len(server.requests) == before


def test_transient_faults_leave_each_shipment_once(
    world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = Faults(rate=0.3, kinds=("429", "500", "503", "slow", "truncate", "drop"), seed=4, slow_seconds=1.5)
    for server, store, config in _store(world, synced, tmp_path, monkeypatch, faults):
        outcomes = push_source(store, config, destination=destination_for(config, policy=FAST))
        assert {o.outcome for o in outcomes} == {"pushed"}
        assert held(server) == expected(world)
        assert any(r.fault for r in server.requests)


def test_dry_run_changes_nothing(world: World, woo: tuple[SimServer, Store, SourceConfig], tmp_path: Path) -> None:
    server, store, _ = woo
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - name: store\n    kind: woocommerce\n"
        f"    base_url: {server.base_url}\n    entities: [variant, order]\n"
        f"    credentials: {{env: {SECRET_ENV}}}\n    login: ck_woo-token\n",
        encoding="utf-8",
    )
    env = {"TRACEHUB_DB_URL": str(store.engine.url), "TRACEHUB_SOURCES": str(sources), SECRET_ENV: "cs_woo-token"}
    done = tracehub("push", "store", "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("would create") == len(expected(world))
    assert server.requests == [] and held(server) == {}
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(push_ledger)).scalar_one() == 0


def test_the_contract_refuses_read_only_meta(woo: tuple[SimServer, Store, SourceConfig]) -> None:
    import requests

    server, _, _ = woo
    order = server.platform.store.orders[0]  # type: ignore[attr-defined]
    url = f"{server.base_url}/wp-json/wc/v3/orders/{order['id']}"
    reply = requests.put(
        url, auth=("ck_woo-token", "cs_woo-token"), json={"meta_data": [{"id": 1, "key": "k", "value": "v"}]}, timeout=5
    )
    assert reply.status_code == 400 and "$.meta_data[0].id: read-only" in reply.json()["data"]["params"]
    reply = requests.put(url, auth=("ck_woo-token", "cs_woo-token"), json={"tracking_number": "x"}, timeout=5)
    assert reply.status_code == 400 and reply.json()["data"]["params"] == [
        "$.tracking_number: not a property of orders"
    ]
