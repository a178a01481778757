"""`python -m simulators serve|world`: run the simulated platforms by hand, or write a world out."""

from __future__ import annotations

import argparse
import secrets
import threading
from contextlib import ExitStack
from pathlib import Path

from simulators import odoo
from simulators.server import Faults, start
from simulators.world import generate_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve Shopify, ShipBob and Odoo on loopback until Ctrl-C")
    world = commands.add_parser("world", help="write world.json, ground_truth.json and defect_plan.json")
    for command in (serve, world):
        command.add_argument("--seed", type=int, default=7)
        command.add_argument("--scale", type=float, default=1.0)
    serve.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered with a fault")
    world.add_argument("--out", type=Path, required=True, help="folder to write the three JSON files into")
    args = parser.parse_args(argv)

    generated = generate_world(args.seed, args.scale)
    if args.command == "world":
        generated.write(args.out)
        print(f"world seed {args.seed} scale {args.scale} written to {args.out}")
        return
    with ExitStack() as stack:
        for kind in ("shopify", "shipbob", "odoo"):
            token = secrets.token_urlsafe(16)
            server = stack.enter_context(start(kind, generated, token, Faults(rate=args.fault_rate, seed=args.seed)))
            credentials = f"token={token}"
            if kind == "odoo":
                credentials = f"database={odoo.DATABASE} login={odoo.LOGIN} password={token}"
            print(f"{kind:8} {server.base_url}  {credentials}")
        print("serving; press Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
