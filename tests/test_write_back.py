"""Write-back over real loopback HTTP: the world's shipped shipments become Shopify fulfilments exactly once.

Once per push, under injected 429/5xx/timeouts/dropped and truncated answers, across re-runs, after a
SIGKILL of a real `tracehub push` process between the shop's answer and the ledger, and mid-batch.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from commands import REPO, tracehub
from platforms import running_platforms, source_config, sync_all, token_env

from connectors.http import RetryPolicy
from simulators.server import Faults, Request, Response, SimServer, start
from simulators.world import World, generate_world, quarantined_shipments
from trace_store.schema import audit_log, push_ledger, shipment, shipment_line
from trace_store.store import Store
from write_back.run import destination_for, push_source

SEED, SCALE = 7, 0.1
FAST = RetryPolicy(attempts=8, budget_seconds=60, initial_wait=0.05, max_wait=0.5)
SHOPIFY_LIMIT = {"requests": 2, "per_seconds": 1, "burst": 40}


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(SEED, SCALE)


@pytest.fixture(scope="module")
def synced(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store holding the whole world (ERP, shop, warehouse), synced once per module."""
    path = tmp_path_factory.mktemp("synced") / "tracehub.db"
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    with pytest.MonkeyPatch.context() as monkeypatch, running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    store.close()
    return path


@dataclass
class Shop:
    server: SimServer
    store: Store
    config: Any
    db_url: str
    token: str

    @property
    def fulfilments(self) -> dict[int, dict[str, Any]]:
        return self.server.platform.fulfilments.fulfillments  # type: ignore[attr-defined]

    def posts(self) -> list[Any]:
        return [r for r in self.server.requests if r.method == "POST"]


@pytest.fixture
def shop(world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    yield from _shop(world, synced, tmp_path, monkeypatch, Faults())


@pytest.fixture
def faulty_shop(world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    kinds = ("429", "500", "503", "slow", "truncate", "drop")
    yield from _shop(world, synced, tmp_path, monkeypatch, Faults(rate=0.3, kinds=kinds, seed=4, slow_seconds=1.5))


def _shop(
    world: World, synced: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: Faults
) -> Iterator[Shop]:
    db = tmp_path / "tracehub.db"
    shutil.copy(synced, db)
    token = "tok-write-back"
    monkeypatch.setenv(token_env("shop"), token)
    with start("shopify", world, token=token, faults=faults) as server:
        config = source_config("shop", server.base_url, timeout_seconds=1, rate_limit=SHOPIFY_LIMIT)
        store = Store.open(f"sqlite:///{db}")
        try:
            yield Shop(server, store, config, f"sqlite:///{db}", token)
        finally:
            store.close()


def expected(world: World) -> Counter[tuple[int, str, str, tuple[tuple[str, int], ...]]]:
    """(shop order id, tracking number, carrier, units per SKU) of every shipped shipment the store holds.

    From the world, not from the store: Completed ShipBob shipments with a tracking number, less those
    the defect plan quarantines and those of shop orders it quarantines (the store has no order to push to).
    """
    lost_shipments = quarantined_shipments(world)
    lost_orders = {
        str(e["external_id"])
        for e in world.defect_plan
        if e["platform"] == "shopify" and e["entity"] == "order" and e["expect"] == "quarantine"
    }
    shop_orders = {str(o["id"]) for o in world.shopify_orders}
    out: Counter[tuple[int, str, str, tuple[tuple[str, int], ...]]] = Counter()
    for order in world.shipbob_orders:
        if order["reference_id"] in lost_orders or order["reference_id"] not in shop_orders:
            continue
        for ship in order["shipments"]:
            tracking = ship.get("tracking") or {}
            if (
                ship["status"] != "Completed"
                or str(ship["id"]) in lost_shipments
                or not tracking.get("tracking_number")
            ):
                continue
            units: Counter[str] = Counter()
            for product in ship["products"]:
                for item in product["inventory_items"]:
                    units[product["sku"]] += item["quantity"]
            key = (
                int(order["reference_id"]),
                tracking["tracking_number"],
                tracking["carrier"],
                tuple(sorted(units.items())),
            )
            out[key] += 1
    return out


def held(shop: Shop) -> Counter[tuple[int, str, str, tuple[tuple[str, int], ...]]]:
    """The same, from the fulfilments the simulated shop holds."""
    out: Counter[tuple[int, str, str, tuple[tuple[str, int], ...]]] = Counter()
    for f in shop.fulfilments.values():
        units: Counter[str] = Counter()
        for line in f["line_items"]:
            units[line["sku"]] += line["quantity"]
        out[(f["order_id"], f["tracking_number"], f["tracking_company"], tuple(sorted(units.items())))] += 1
    return out


def ledger(shop: Shop) -> list[dict[str, Any]]:
    with shop.store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(push_ledger))]


def writeback_audit(shop: Shop) -> list[dict[str, Any]]:
    a = audit_log.c
    with shop.store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(audit_log).where(a.action.like("writeback.%")))]


def push(shop: Shop, **kwargs: Any) -> list[Any]:
    return push_source(shop.store, shop.config, destination=destination_for(shop.config, policy=FAST), **kwargs)


def test_the_worlds_shipments_become_fulfilments_once(world: World, shop: Shop) -> None:
    want = expected(world)
    assert len(want) >= 10
    outcomes = push(shop)
    assert {o.outcome for o in outcomes} == {"pushed"}
    assert held(shop) == want
    rows = ledger(shop)
    assert len(rows) == len(want) and {r["state"] for r in rows} == {"pushed"}
    assert {int(r["remote_id"]) for r in rows} == set(shop.fulfilments)
    assert all(r["lots"] and all(x["lot"] for x in r["lots"]) for r in rows), "shipped lots are kept in the ledger"
    entries = writeback_audit(shop)
    assert len(entries) == len(want) and {e["action"] for e in entries} == {"writeback.pushed"}
    assert tracehub("audit", "verify", env={"TRACEHUB_DB_URL": shop.db_url}).returncode == 0

    fos = shop.server.platform.fulfilments.fulfillment_orders.values()  # type: ignore[attr-defined]
    shipped_orders = {order_id for order_id, *_ in want}
    closed = {fo["order_id"] for fo in fos if fo["status"] == "closed"}
    assert closed and closed <= shipped_orders
    assert all(line["fulfillable_quantity"] >= 0 for fo in fos for line in fo["line_items"])

    requests_before = len(shop.server.requests)
    assert push(shop) == []
    assert len(shop.server.requests) == requests_before, "a re-run asks the shop nothing"
    assert held(shop) == want and len(writeback_audit(shop)) == len(want)


def test_transient_faults_are_retried_without_duplicates(world: World, faulty_shop: Shop) -> None:
    shop = faulty_shop
    outcomes = push(shop)
    assert {o.outcome for o in outcomes} == {"pushed"}
    assert held(shop) == expected(world)
    faults = Counter(r.fault for r in shop.server.requests if r.fault)
    assert faults["429"] and (faults["500"] or faults["503"]), faults
    landed_unanswered = [r for r in shop.posts() if r.status == 201 and r.fault in ("slow", "truncate")]
    assert landed_unanswered, "some POSTs landed but their answer was lost: the re-send must have found them"
    assert len(shop.fulfilments) == sum(expected(world).values())


def test_a_changed_tracking_number_updates_the_fulfilment(world: World, shop: Shop) -> None:
    push(shop)
    relabelled = ledger(shop)[0]
    with shop.store.transaction() as conn:
        conn.execute(
            shipment.update()
            .where(
                shipment.c.source == relabelled["shipment_source"], shipment.c.shipment_id == relabelled["shipment_id"]
            )
            .values(tracking_no="SF-RELABEL-1")
        )
    count = len(shop.fulfilments)
    outcomes = push(shop)
    assert [(o.outcome, o.remote_id) for o in outcomes] == [("pushed", relabelled["remote_id"])]
    assert len(shop.fulfilments) == count
    assert shop.fulfilments[int(relabelled["remote_id"])]["tracking_numbers"] == ["SF-RELABEL-1"]
    assert shop.posts()[-1].path.endswith(f"/fulfillments/{relabelled['remote_id']}/update_tracking.json")
    assert push(shop) == []


def test_dry_run_changes_nothing(world: World, shop: Shop, tmp_path: Path) -> None:
    sources = _sources_file(shop, tmp_path)
    done = tracehub("push", "shop", "--dry-run", env=_env(shop, sources))
    assert done.returncode == 0, done.stderr
    assert "would push (dry run: nothing changed)" in done.stdout
    some_tracking = next(iter(expected(world)))[1]
    assert some_tracking in done.stdout and "would create" in done.stdout
    assert ledger(shop) == [] and writeback_audit(shop) == []
    assert shop.server.requests == [] and shop.fulfilments == {}


def test_refused_credentials_fail_at_once_in_one_line(shop: Shop, tmp_path: Path) -> None:
    sources = _sources_file(shop, tmp_path)
    done = tracehub("push", "shop", env={**_env(shop, sources), token_env("shop"): "wrong-token"})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "refused the credentials" in lines[0], done.stderr
    assert "check the credentials of source 'shop'" in lines[0]
    assert "wrong-token" not in done.stderr
    assert [r.status for r in shop.server.requests] == [401], "a 401 is never retried"
    assert [r["state"] for r in ledger(shop)] == ["failed"]


def test_a_push_the_shop_refuses_fails_at_once_and_the_rest_go_on(world: World, shop: Shop, tmp_path: Path) -> None:
    """The warehouse reports more units than the order holds: the shop answers 422, which is not retried."""
    with shop.store.transaction() as conn:
        line = conn.execute(
            sa.select(shipment_line.c.source, shipment_line.c.shipment_id, shipment_line.c.line_no, shipment_line.c.qty)
            .join(
                shipment,
                sa.and_(
                    shipment.c.source == shipment_line.c.source, shipment.c.shipment_id == shipment_line.c.shipment_id
                ),
            )
            .where(shipment.c.status == "shipped", shipment.c.tracking_no.is_not(None))
            .order_by(shipment_line.c.shipment_id)
            .limit(1)
        ).one()
        conn.execute(
            shipment_line.update()
            .where(shipment_line.c.source == line.source, shipment_line.c.shipment_id == line.shipment_id)
            .where(shipment_line.c.line_no == line.line_no)
            .values(qty=100_000)
        )
    sources = _sources_file(shop, tmp_path)
    done = tracehub("push", "shop", env=_env(shop, sources))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert f"shipment {line.shipment_id}" in errors[0] and "HTTP 422" in errors[0]
    assert "Invalid fulfillment order line item quantity" in errors[0]
    refused = [r for r in shop.posts() if r.status == 422]
    assert len(refused) == 1, "a 422 is not retried"
    states = Counter(r["state"] for r in ledger(shop))
    assert states == {"pushed": sum(expected(world).values()) - 1, "failed": 1}
    assert Counter(e["action"] for e in writeback_audit(shop)) == states_as_actions(states)

    with shop.store.transaction() as conn:  # the warehouse corrects its count: the next run pushes it, once
        conn.execute(
            shipment_line.update()
            .where(shipment_line.c.source == line.source, shipment_line.c.shipment_id == line.shipment_id)
            .where(shipment_line.c.line_no == line.line_no)
            .values(qty=line.qty)
        )
    assert [o.outcome for o in push(shop)] == ["pushed"]
    assert held(shop) == expected(world)


def states_as_actions(states: Counter[str]) -> Counter[str]:
    return Counter({f"writeback.{k}": v for k, v in states.items()})


# -- notifying customers ---------------------------------------------------------------------------------------------


def test_the_push_dag_task_notifies_customers_when_the_source_says_so(
    world: World, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run_push` is what the push_<source> DAG's task calls: it reads the source's notify_customer."""
    from pipeline.runner import run_push

    sources = _sources_file(shop, tmp_path, "    notify_customer: true\n")
    monkeypatch.setenv("TRACEHUB_SOURCES", str(sources))
    monkeypatch.setenv("TRACEHUB_DB_URL", shop.db_url)
    counts = run_push("shop")
    assert counts == {"pushed": sum(expected(world).values()), "recovered": 0, "failed": 0}
    assert held(shop) == expected(world)
    assert {f["notify_customer"] for f in shop.fulfilments.values()} == {True}
    bodies = [r for r in shop.posts() if r.path.endswith("/fulfillments.json") and r.status == 201]
    assert bodies and len(bodies) == len(shop.fulfilments)


def test_customers_are_not_notified_unless_asked(shop: Shop) -> None:
    from connectors.config import SourceConfig

    push(shop)
    assert shop.fulfilments and {f["notify_customer"] for f in shop.fulfilments.values()} == {False}
    woo = {**shop.config.model_dump(mode="json", exclude_none=True), "kind": "woocommerce", "notify_customer": True}
    with pytest.raises(ValueError, match="notify_customer is a Shopify write-back option"):
        SourceConfig.model_validate({**woo, "entities": ["order"]})


# -- SIGKILL --------------------------------------------------------------------------------------------------------


class Gate:
    """Wraps the simulated shop: the `nth` POST fulfillments is handled (the fulfilment exists), then held."""

    def __init__(self, platform: Any, nth: int) -> None:
        self.platform, self.nth, self.seen = platform, nth, 0
        self.reached, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        response = self.platform.handle(request)
        if request.method == "POST" and request.path.endswith("/fulfillments.json") and response.status == 201:
            with self.lock:
                self.seen += 1
                mine = self.seen == self.nth
            if mine:
                self.reached.set()
                self.release.wait(30)
        return response

    def fault(self, kind: str, retry_after: str) -> Response:
        return self.platform.fault(kind, retry_after)  # type: ignore[no-any-return]

    def describe(self, request: Request) -> str | None:
        return self.platform.describe(request)  # type: ignore[no-any-return]


@pytest.mark.parametrize("nth", [1, 3], ids=["after-the-post-before-the-ledger", "mid-batch"])
def test_sigkill_then_rerun_holds_each_fulfilment_once(world: World, shop: Shop, tmp_path: Path, nth: int) -> None:
    sources = _sources_file(shop, tmp_path)
    gate = Gate(shop.server.platform, nth)
    shop.server.platform = gate  # type: ignore[assignment]
    process = subprocess.Popen(
        [sys.executable, "-m", "tracehub", "push", "shop"],
        cwd=REPO,
        env={**os.environ, **_env(shop, sources)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert gate.reached.wait(120), "the push never reached the shop"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        gate.release.set()
        if process.poll() is None:
            process.kill()
    shop.server.platform = gate.platform
    assert shop.server.wait_closed(), "the killed push left a connection open"
    assert len(shop.fulfilments) == nth
    rows = ledger(shop)
    assert Counter(r["state"] for r in rows) == Counter({"pushed": nth - 1, "pending": 1})

    looked = len(shop.server.requests)
    dry = tracehub("push", "shop", "--dry-run", env=_env(shop, sources))
    assert dry.returncode == 0 and dry.stdout.count("would look on the shop, else create") == 1, dry.stdout
    assert len(shop.server.requests) == looked

    done = tracehub("push", "shop", env=_env(shop, sources))
    assert done.returncode == 0, done.stderr
    assert "recovered" in done.stdout
    assert held(shop) == expected(world)
    assert {r["state"] for r in ledger(shop)} == {"pushed"}
    entries = writeback_audit(shop)
    assert len(entries) == sum(expected(world).values())
    assert sum(1 for e in entries if "recovered" in e["details"]) == 1

    again = tracehub("push", "shop", env=_env(shop, sources))
    assert again.returncode == 0 and "nothing to push" in again.stdout
    assert held(shop) == expected(world)


def _sources_file(shop: Shop, tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - name: shop\n"
        "    kind: shopify\n"
        f"    base_url: {shop.server.base_url}\n"
        "    entities: [variant, order]\n"
        f"    credentials: {{env: {token_env('shop')}}}\n"
        "    timeout_seconds: 5\n"
        "    rate_limit: {requests: 2, per_seconds: 1, burst: 40}\n" + extra,
        encoding="utf-8",
    )
    return path


def _env(shop: Shop, sources: Path) -> dict[str, str]:
    return {"TRACEHUB_DB_URL": shop.db_url, "TRACEHUB_SOURCES": str(sources), token_env("shop"): shop.token}


# -- two shipments of one order under one tracking number ------------------------------------------------------------


class LoseSecondSharedAnswer:
    """Wraps the simulated shop: the second fulfilment made with tracking number SF-SHARED-1 is made, then its
    answer is held past the client's timeout, so the client must read the order back to learn what landed."""

    def __init__(self, platform: Any, hold_seconds: float) -> None:
        self.platform, self.hold_seconds, self.made = platform, hold_seconds, 0

    def handle(self, request: Request) -> Response:
        response = self.platform.handle(request)
        made = response.body.get("fulfillment") if isinstance(response.body, dict) else None
        if request.method == "POST" and made and made.get("tracking_number") == "SF-SHARED-1":
            self.made += 1
            if self.made == 2:
                threading.Event().wait(self.hold_seconds)
        return response

    def fault(self, kind: str, retry_after: str) -> Response:
        return self.platform.fault(kind, retry_after)  # type: ignore[no-any-return]

    def describe(self, request: Request) -> str | None:
        return self.platform.describe(request)  # type: ignore[no-any-return]


def _split_order(shop: Shop) -> tuple[str, list[tuple[str, str]]]:
    """The shop order shipped in two shipments, both given one tracking number; (order, [(source, id)])."""
    s = shipment.c
    with shop.store.transaction() as conn:
        order = conn.execute(
            sa.select(s.order_number)
            .where(s.status == "shipped", s.tracking_no.is_not(None))
            .group_by(s.order_number)
            .having(sa.func.count() == 2)
            .order_by(s.order_number)
            .limit(1)
        ).scalar_one()
        both = conn.execute(
            sa.select(s.source, s.shipment_id)
            .where(s.order_number == order, s.status == "shipped")
            .order_by(s.shipment_id)
        ).all()
        conn.execute(
            shipment.update().where(s.order_number == order, s.status == "shipped").values(tracking_no="SF-SHARED-1")
        )
    return order, [tuple(r) for r in both]


def _shared(shop: Shop, order_number: str) -> dict[str, str]:
    """shipment id -> the shop's fulfilment id the ledger records for it, for the order's pushed shipments."""
    return {r["shipment_id"]: r["remote_id"] for r in ledger(shop) if r["order_number"] == order_number}


def test_two_shipments_sharing_a_tracking_number_after_a_crash_are_each_pushed_once(shop: Shop) -> None:
    """The second shipment crashed between its intent and the call: reading back must not take the first
    shipment's fulfilment (same tracking number) for it."""
    from write_back.ledger import record_intent
    from write_back.run import pending

    order, (first, second) = _split_order(shop)
    s = shipment.c
    with shop.store.transaction() as conn:  # the second shipment is not shipped yet when the first is pushed
        conn.execute(
            shipment.update().where(s.source == second[0], s.shipment_id == second[1]).values(status="pending")
        )
    push(shop)
    with shop.store.transaction() as conn:
        conn.execute(
            shipment.update().where(s.source == second[0], s.shipment_id == second[1]).values(status="shipped")
        )
    (crashed,) = [p for p in pending(shop.store, "shop") if p.shipped.shipment_id == second[1]]
    assert crashed.claimed == {_shared(shop, order)[first[1]]}
    record_intent(shop.store, crashed)

    outcomes = push(shop)
    assert [(o.push.shipped.shipment_id, o.outcome) for o in outcomes] == [(second[1], "pushed")]
    remote = _shared(shop, order)
    assert len(set(remote.values())) == 2 and {int(x) for x in remote.values()} <= set(shop.fulfilments)
    on_the_shop = [f for f in shop.fulfilments.values() if f["tracking_number"] == "SF-SHARED-1"]
    assert sorted(str(f["id"]) for f in on_the_shop) == sorted(remote.values())
    assert push(shop) == []


def test_two_shipments_sharing_a_tracking_number_with_a_lost_answer_are_each_pushed_once(shop: Shop) -> None:
    """The second shipment's POST lands but its answer is lost: the read-back finds its own fulfilment, never
    the first shipment's, which carries the same tracking number."""
    order, _ = _split_order(shop)
    wrapper = LoseSecondSharedAnswer(shop.server.platform, hold_seconds=2.5)
    shop.server.platform = wrapper  # type: ignore[assignment]
    outcomes = push(shop)
    shop.server.platform = wrapper.platform
    assert wrapper.made == 2
    assert {o.outcome for o in outcomes} == {"pushed"}
    remote = _shared(shop, order)
    assert len(remote) == 2 and len(set(remote.values())) == 2
    shared = {str(f["id"]): f for f in shop.fulfilments.values() if f["tracking_number"] == "SF-SHARED-1"}
    assert sorted(shared) == sorted(remote.values())
    assert len(shop.fulfilments) == len(ledger(shop))
    assert push(shop) == []
