"""Connector pieces that need no platform: registry, entity checks, time windows, token buckets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors import ratelimit
from connectors.config import ConfigError, RateLimit, Secret, SourceConfig
from connectors.odoo import OdooConnector
from connectors.registry import build_connector
from connectors.rest import RestConnector
from connectors.timefmt import iso_z, odoo_datetime, parse_utc


def _config(kind: str, **extra: object) -> SourceConfig:
    entities = {"shopify": ["order"], "shipbob": ["shipment"], "odoo": ["lot"]}[kind]
    return SourceConfig.model_validate(
        {
            "name": f"{kind}_unit",
            "kind": kind,
            "base_url": "http://127.0.0.1:9",
            "entities": entities,
            "credentials": {"env": "TRACEHUB_UNIT_TOKEN"},
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("shopify", RestConnector),
        ("shipbob", RestConnector),
        ("odoo", OdooConnector),
    ],
)
def test_build_connector_resolves_the_secret_from_the_environment(monkeypatch, kind, cls):
    monkeypatch.setenv("TRACEHUB_UNIT_TOKEN", "unit-token-123")
    connector = build_connector(_config(kind, database="db", login="admin"))
    assert isinstance(connector, cls)
    assert connector.source == f"{kind}_unit"
    assert "unit-token-123" not in repr(connector) + repr(connector.http)


def test_build_connector_without_the_variable_names_it(monkeypatch):
    monkeypatch.delenv("TRACEHUB_UNIT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="TRACEHUB_UNIT_TOKEN"):
        build_connector(_config("shopify"))


def test_odoo_needs_database_and_login():
    with pytest.raises(ConfigError, match="'database' and 'login'"):
        OdooConnector(_config("odoo"), Secret(token="t"))


@pytest.mark.parametrize(("kind", "allowed"), [("shopify", "order"), ("shipbob", "shipment"), ("odoo", "batch_record")])
def test_unknown_entity_is_named_with_the_allowed_ones(kind, allowed):
    connector = build_connector(_config(kind, database="db", login="admin"), Secret(token="t"))
    with pytest.raises(ValueError, match=rf"'widget'.*{allowed}"):
        next(connector.pull("widget", None, datetime.now(UTC)))


def test_window_bounds_widen_to_whole_seconds():
    moment = datetime(2026, 3, 2, 10, 15, 0, 500_000, tzinfo=timezone(timedelta(hours=8)))
    assert iso_z(moment) == "2026-03-02T02:15:00Z"
    assert iso_z(moment, up=True) == "2026-03-02T02:15:01Z"
    assert odoo_datetime(moment.replace(microsecond=0), up=True) == "2026-03-02 02:15:00"
    assert parse_utc("2026-03-02 10:15:00") == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert parse_utc("2026-03-02T10:20:00+08:00") == datetime(2026, 3, 2, 2, 20, tzinfo=UTC)


def test_token_bucket_keeps_to_the_rate_after_the_burst():
    bucket = ratelimit.TokenBucket(RateLimit(requests=20, per_seconds=1, burst=2))
    start = time.monotonic()
    for _ in range(6):
        bucket.acquire()
    assert time.monotonic() - start >= 4 / 20 - 0.01


def test_token_bucket_hold_pauses_everyone():
    bucket = ratelimit.TokenBucket(RateLimit(requests=100, per_seconds=1, burst=5))
    bucket.hold(0.15)
    start = time.monotonic()
    bucket.acquire()
    assert time.monotonic() - start >= 0.14


def test_one_bucket_per_credential_keyed_without_the_token():
    limit = RateLimit(requests=1, per_seconds=1)
    first = ratelimit.bucket_for("shop", "secret-a", limit)
    assert ratelimit.bucket_for("shop", "secret-a", limit) is first
    assert ratelimit.bucket_for("shop", "secret-b", limit) is not first
    assert ratelimit.bucket_for("other", "secret-a", limit) is not first
    assert not any("secret-a" in key for key in ratelimit._buckets)
