"""`tracehub push`: tracking numbers and carriers of shipped shipments back to the shop, exactly once."""

from __future__ import annotations

from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import ConfigOption, app, console, open_store, print_error, sources, working

COLUMNS = ["source", "order", "shipment", "tracking", "carrier", "lots", "action", "outcome", "shop id"]
KEEP = ["order", "shipment", "tracking", "outcome", "carrier", "lots", "action", "shop id", "source"]


@app.command("push")
def push_cmd(
    source: Annotated[str | None, typer.Argument(help="Shop source to push to (default: every shop source).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be pushed; change nothing.")] = False,
    notify_customer: Annotated[
        bool,
        typer.Option(
            "--notify-customer",
            help="Ask the shop to e-mail the customer the tracking (else the source's notify_customer setting).",
        ),
    ] = False,
    config: ConfigOption = None,
    wait: Annotated[
        float, typer.Option("--wait", min=0, help="Seconds to wait for a push of the source already going.")
    ] = 0,
) -> None:
    """Push tracking numbers and carriers of shipped shipments to the shop as fulfilments (lots: see the README)."""
    from write_back.run import DESTINATION_KINDS, destination_for, push_source

    configured = sources(config)
    targets = [configured.get(source)] if source else [s for s in configured.sources if s.kind in DESTINATION_KINDS]
    if not targets:
        raise LookupError(f"no shop source to push to: none of kind {', '.join(DESTINATION_KINDS)} is configured")
    rows, failures = [], []
    with open_store() as store, working("pushing tracking to the shop", "shipments") as advance:
        for cfg in targets:
            target = None if dry_run else destination_for(cfg, notify_customer=notify_customer or None)
            for done in push_source(store, cfg, dry_run=dry_run, destination=target, wait_seconds=wait):
                shipped = done.push.shipped
                lots = ", ".join(sorted({f"{x.sku} {x.lot}" for x in shipped.lines if x.lot}))
                action = f"update from {done.push.replaces[1]}" if done.push.replaces else "create"
                rows.append(
                    [
                        cfg.name,
                        shipped.order_number,
                        shipped.shipment_id,
                        shipped.tracking_no,
                        shipped.carrier,
                        lots,
                        action,
                        done.outcome,
                        done.remote_id or "",
                    ]
                )
                advance(1)
                if done.error:
                    failures.append(
                        f"{cfg.name} order {shipped.order_number} shipment {shipped.shipment_id}: {done.error}"
                    )
    title = "would push (dry run: nothing changed)" if dry_run else "pushed to the shop"
    shown = report.table(title, COLUMNS, rows, wrap=["lots", "outcome"], keep=KEEP) if rows else None
    console.print(shown or f"{title}: nothing to push")
    for failure in failures:
        print_error(failure)
    if failures:
        raise typer.Exit(1)
