"""Test helper: the three simulated platforms of a world, running, with source configs for them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.config import ENTITIES_BY_KIND, SourceConfig
from simulators import odoo
from simulators.server import Faults, start
from tracehub.demo import COMPANY_TIMEZONE, ERP_STUDIO_FIELDS, WAREHOUSE_FIELDS

SOURCES = {"erp": "odoo", "shop": "shopify", "warehouse": "shipbob"}
"""Source name -> platform kind, in sync order (ERP master data first)."""

KIND_TO_SOURCE = {kind: name for name, kind in SOURCES.items()}


@dataclass
class Platforms:
    servers: dict[str, Any]
    tokens: dict[str, str]
    configs: dict[str, SourceConfig]


def source_config(name: str, base_url: str, studio: bool = True, **overrides: Any) -> SourceConfig:
    """A test source for a simulator; `studio` maps the demo customer's custom fields (Odoo and ShipBob)."""
    kind = SOURCES[name]
    data: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "base_url": base_url,
        "entities": list(ENTITIES_BY_KIND[kind]),
        "credentials": {"env": token_env(name)},
        "page_size": 50,
        "timeout_seconds": 2,
        "lookback_minutes": 10,
    }
    if kind == "odoo":
        data.update(database=odoo.DATABASE, login=odoo.LOGIN, timezone=COMPANY_TIMEZONE)
        if studio:
            data["field_map"] = ERP_STUDIO_FIELDS
    if kind == "shipbob":
        data["field_map"] = WAREHOUSE_FIELDS
    data.update(overrides)
    return SourceConfig.model_validate(data)


def token_env(name: str) -> str:
    return f"TRACEHUB_TEST_{name.upper()}_TOKEN"


@contextmanager
def running_platforms(
    world: Any, monkeypatch: pytest.MonkeyPatch, faults: Faults | None = None, **overrides: Any
) -> Iterator[Platforms]:
    """Start all three simulators for `world`; tokens are set in the environment via monkeypatch."""
    with ExitStack() as stack:
        servers, tokens, configs = {}, {}, {}
        for name, kind in SOURCES.items():
            tokens[name] = f"tok-{secrets.token_hex(12)}"
            monkeypatch.setenv(token_env(name), tokens[name])
            servers[name] = stack.enter_context(start(kind, world, token=tokens[name], faults=faults or Faults()))
            configs[name] = source_config(name, servers[name].base_url, world.studio, **overrides)
        yield Platforms(servers, tokens, configs)


def sync_all(platforms: Platforms, store: Any, full: bool = False) -> list[dict[str, object]]:
    """Sync every entity of every source, in order, straight through the pipeline."""
    from connectors.registry import build_connector
    from pipeline.sync import sync

    results = []
    for name in SOURCES:
        config = platforms.configs[name]
        connector = build_connector(config)
        for entity in config.entities:
            results.append(sync(config, entity, store, connector, full=full).as_dict())
    return results


SNAPSHOTS = frozenset({"inventory"})
"""Entities the vendor lists with no update time: each pull is stamped with the time it was made."""


def comparable(dump: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """A store dump without the pull times of snapshots, which differ between two stores loaded apart."""

    def clean(table: str, row: dict[str, Any]) -> dict[str, Any]:
        snapshot = table == "inventory_level" or row.get("entity") in SNAPSHOTS
        return {**row, "source_updated_at": None} if snapshot and "source_updated_at" in row else row

    return {table: [clean(table, row) for row in rows] for table, rows in dump.items()}
