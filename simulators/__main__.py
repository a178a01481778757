"""`python -m simulators serve|world`: run the simulated platforms by hand, or write a world out."""

from __future__ import annotations

import argparse
import os
import secrets
import threading
from contextlib import ExitStack
from pathlib import Path

from simulators import odoo
from simulators.server import Faults, start
from simulators.world import generate_world

TOKEN_ENV = "SIMULATOR_TOKEN"
"""The one token all platforms accept (default: a new random one, printed at start)."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve Shopify, ShipBob, Odoo and WooCommerce on loopback until Ctrl-C")
    world = commands.add_parser("world", help="write world.json, ground_truth.json and defect_plan.json")
    for command in (serve, world):
        command.add_argument("--seed", type=int, default=7)
        command.add_argument("--scale", type=float, default=1.0)
    serve.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered with a fault")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container)")
    serve.add_argument(
        "--port-base", type=int, default=0, help="Shopify on this port; ShipBob, Odoo, WooCommerce on the next ones"
    )
    world.add_argument("--out", type=Path, required=True, help="folder to write the three JSON files into")
    args = parser.parse_args(argv)

    generated = generate_world(args.seed, args.scale)
    if args.command == "world":
        generated.write(args.out)
        print(f"world seed {args.seed} scale {args.scale} written to {args.out}")
        return
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(16)
    with ExitStack() as stack:
        for offset, kind in enumerate(("shopify", "shipbob", "odoo", "woocommerce")):
            port = args.port_base + offset if args.port_base else 0
            faults = Faults(rate=args.fault_rate, seed=args.seed)
            server = stack.enter_context(start(kind, generated, token, faults, args.host, port))
            credentials = f"token={token}"
            if kind == "odoo":
                credentials = f"database={odoo.DATABASE} login={odoo.LOGIN} password={token}"
            if kind == "woocommerce":
                credentials = f"consumer_key=ck_{token} consumer_secret=cs_{token}"
            print(f"{kind:11} {server.base_url}  {credentials}")
        print("serving; press Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
