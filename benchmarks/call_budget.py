"""How much of Shopify's call budget a sync uses, and how many calls it gets refused (429).

`python -m benchmarks.call_budget` pulls a generated shop's orders (and products) from the Shopify
simulator over loopback HTTP, with one caller and with several sharing the credential, the shop's
leaky bucket at Shopify's REST figures (40 calls, leaking 2 a second) and the source's rate limit
the same. Budget use is calls admitted / calls the bucket allowed between the first and the last
call (its size plus its leak over that time). Printed, and written to `<home>/bench/call_budget.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from connectors.config import SourceConfig
from connectors.registry import build_connector
from pipeline import settings
from simulators.ratelimits import LeakyBucket
from simulators.server import start
from simulators.shopify import Shopify
from simulators.world import generate_world

console = Console()
UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
ENTITIES = ("order", "variant", "order", "order")
"""What each concurrent caller pulls, in turn."""


def run(callers: int, scale: float, page_size: int, size: int, leak: float) -> dict[str, Any]:
    """One run: `callers` threads pull through their own connectors of one source."""
    world = generate_world(seed=7, scale=scale)
    token = f"shpat_{secrets.token_hex(8)}"
    os.environ["TRACEHUB_BENCH_SHOP_TOKEN"] = token
    with start("shopify", world, token=token) as server:
        shop = server.platform
        assert isinstance(shop, Shopify)
        shop.bucket = LeakyBucket(size, leak)
        config = SourceConfig.model_validate(
            {
                "name": "shop",
                "kind": "shopify",
                "base_url": server.base_url,
                "entities": ["variant", "order"],
                "credentials": {"env": "TRACEHUB_BENCH_SHOP_TOKEN"},
                "page_size": page_size,
                "rate_limit": {"requests": leak, "per_seconds": 1, "burst": size},
            }
        )

        def pull(entity: str) -> int:
            return sum(len(page) for page in build_connector(config).pull(entity, None, UNTIL))

        with ThreadPoolExecutor(callers) as pool:
            records = sum(pool.map(pull, [ENTITIES[i % len(ENTITIES)] for i in range(callers)]))
        log = list(server.requests)
    admitted = [entry.at for entry in log if entry.status != 429]
    seconds = max(admitted) - min(admitted)
    allowed = size + leak * seconds
    return {
        "callers": callers,
        "records": records,
        "calls": len(log),
        "refused_429": len(log) - len(admitted),
        "seconds": round(seconds, 2),
        "budget_allowed": round(allowed, 1),
        "budget_use": round(len(admitted) / allowed, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", default="1,3", help="concurrent callers per run, comma separated")
    parser.add_argument("--scale", type=float, default=2.0, help="world scale (about 200 orders per unit)")
    parser.add_argument("--page-size", type=int, default=4)
    parser.add_argument("--bucket", type=int, default=40, help="the shop's bucket size")
    parser.add_argument("--leak", type=float, default=2.0, help="calls a second the shop's bucket leaks")
    args = parser.parse_args()
    runs = []
    for callers in (int(n) for n in args.callers.split(",")):
        result = run(callers, args.scale, args.page_size, args.bucket, args.leak)
        runs.append(result)
        console.print(
            f"  {callers} caller(s): {result['calls']} calls, {result['refused_429']} refused (429), "
            f"{result['seconds']} s: {result['budget_use']:.1%} of the call budget"
        )
    out = settings.home() / "bench" / "call_budget.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bucket": args.bucket,
        "leak": args.leak,
        "runs": runs,
    }
    out.write_text(json.dumps(report, indent=2))
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()
