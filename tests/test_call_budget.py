"""Steering by the platform's own count of the call budget: no 429 however the budget is shared.

Real HTTP over loopback to the Shopify simulator, whose leaky bucket (40 calls) refuses what
overflows it. Budget use over time is measured by `benchmarks/call_budget.py`, not here.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from connectors.config import SourceConfig
from connectors.declaration import packaged
from connectors.ratelimit import RateLimit, TokenBucket, UsageHeader
from connectors.registry import build_connector
from simulators.ratelimits import LeakyBucket
from simulators.server import SimServer, start
from simulators.world import World, generate_world

pytestmark = pytest.mark.timeout(180)

UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(seed=5, scale=2)


@contextmanager
def shop(
    world: World, monkeypatch: pytest.MonkeyPatch, leak: float, page_size: int
) -> Iterator[tuple[SimServer, SourceConfig]]:
    """A shop whose bucket leaks `leak` calls a second, and a source whose rate limit says so."""
    token = f"shpat_{secrets.token_hex(8)}"  # a fresh credential: a fresh process-wide bucket
    monkeypatch.setenv("TRACEHUB_TEST_BUDGET_TOKEN", token)
    with start("shopify", world, token=token) as server:
        server.platform.bucket = LeakyBucket(40, leak)
        config = SourceConfig.model_validate(
            {
                "name": "shop",
                "kind": "shopify",
                "base_url": server.base_url,
                "entities": ["variant", "order"],
                "credentials": {"env": "TRACEHUB_TEST_BUDGET_TOKEN"},
                "page_size": page_size,
                "rate_limit": {"requests": leak, "per_seconds": 1, "burst": 40},
            }
        )
        yield server, config


def _pull(config: SourceConfig, entity: str) -> list[str]:
    connector = build_connector(config)
    return [record.external_id for page in connector.pull(entity, None, UNTIL) for record in page]


def _statuses(server: SimServer) -> list[int]:
    return [entry.status for entry in server.requests]


def test_the_shopify_declaration_steers_by_its_call_limit_header() -> None:
    assert packaged()["shopify"].requester.usage_header == UsageHeader(name=CALL_LIMIT, format="used/size")


@pytest.mark.parametrize(
    ("value", "read"), [("32/40", (32, 40)), ("0/400", (0, 400)), ("", None), ("40", None), ("a/40", None)]
)
def test_the_usage_header_is_read_as_declared(value: str, read: tuple[int, int] | None) -> None:
    assert UsageHeader(name=CALL_LIMIT).read({CALL_LIMIT: value}) == read


def test_concurrent_pulls_sharing_one_shop_get_no_429(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three callers share the credential's budget past the opening burst of 40."""
    with shop(world, monkeypatch, leak=20.0, page_size=5) as (server, config), ThreadPoolExecutor(3) as pool:
        pulls = [pool.submit(_pull, config, entity) for entity in ("order", "order", "variant")]
        orders, again, variants = (pull.result() for pull in pulls)
    assert sorted(orders) == sorted(again) == sorted(str(o["id"]) for o in world.shopify_orders)
    assert sorted(variants) == sorted(str(p["id"]) for p in world.shopify_products)
    assert len(orders) >= 300 and len(server.requests) > 3 * 40
    assert _statuses(server).count(429) == 0


def test_budget_spent_elsewhere_with_the_credential_is_respected(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another app has filled the shop's bucket to 37 of 40: the first answer says so, and no caller overruns."""
    with shop(world, monkeypatch, leak=20.0, page_size=10) as (server, config):
        bucket = server.platform.bucket
        with bucket.lock:
            bucket.level, bucket.updated = 37.0, time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            pulls = [pool.submit(_pull, config, "order") for _ in range(3)]
            assert all(len(pull.result()) == len(world.shopify_orders) for pull in pulls)
    assert _statuses(server).count(429) == 0


@pytest.mark.slow
def test_a_sync_at_shopifys_own_rate_gets_no_429_after_the_opening_burst(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: client and shop buckets both 40, leaking 2 calls a second."""
    with shop(world, monkeypatch, leak=2.0, page_size=8) as (server, config):
        orders = _pull(config, "order")
    assert len(orders) == len(world.shopify_orders) >= 300
    assert len(server.requests) > 40 + 5
    assert _statuses(server).count(429) == 0


def test_a_reported_count_caps_the_local_bucket() -> None:
    """After an answer saying 38 of 40 are used, two calls may go at once and a third waits."""
    bucket = TokenBucket(RateLimit(requests=1, per_seconds=3600, burst=40))
    bucket.acquire()
    bucket.answered((38, 40))
    bucket.acquire()
    bucket.acquire()
    third = threading.Thread(target=bucket.acquire, daemon=True)
    third.start()
    third.join(0.3)
    assert third.is_alive()


def test_the_first_call_probes_the_count_before_others_follow() -> None:
    """Until the platform has answered once, only one call is in flight."""
    bucket = TokenBucket(RateLimit(requests=1, per_seconds=1, burst=40))
    bucket.expect_usage()
    bucket.acquire()
    second = threading.Thread(target=bucket.acquire, daemon=True)
    second.start()
    second.join(0.3)
    assert second.is_alive()
    bucket.answered((1, 40))
    second.join(5)
    assert not second.is_alive()
