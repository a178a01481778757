"""Test helper for steward tests: a world's Shopify orders synced into a store, and a mapping fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from platforms import running_platforms

from mappings import SPECS_DIR
from simulators.world import World, generate_world

SEED, SCALE = 5, 0.8
"""Two records of each order defect: enough to see that a fix repairs exactly its own."""


def order_world() -> World:
    return generate_world(SEED, SCALE)


def sync_orders(world: World, store: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Sync the shop's orders (source `shop`, kind shopify) over real HTTP into `store`."""
    from connectors.registry import build_connector
    from pipeline.sync import sync

    with running_platforms(world, monkeypatch) as platforms:
        config = platforms.configs["shop"]
        return sync(config, "order", store, build_connector(config)).as_dict()


def defect_ids(world: World, defect: str) -> set[str]:
    return {d["external_id"] for d in world.defect_plan if d["defect"] == defect}


def write_rmb_fix(folder: Path) -> Path:
    """The fix an integration engineer ships for the `unknown_currency` defect: RMB is CNY."""
    spec = (SPECS_DIR / "shopify_order.yaml").read_text(encoding="utf-8")
    fixed = spec.replace(
        "  currency: currency\n", "  currency: {path: currency, transforms: [{lookup: {CNY: CNY, RMB: CNY}}]}\n"
    )
    assert fixed != spec, "the packaged spec changed shape: update this fix"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shopify_order.yaml").write_text(fixed, encoding="utf-8")
    return folder
