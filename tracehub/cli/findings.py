"""`tracehub findings`: cross-record findings with their first-seen and resolved times; ack and resolve them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, err, open_store, print_json
from tracehub.cli.quarantine import ActorOption, actor_name

TEXT_WIDTH = 90
findings_app = typer.Typer(
    help="Findings across sources: expired, unreleased or recalled lots shipped, serials shipped twice, ...",
    invoke_without_command=True,
)
app.add_typer(findings_app, name="findings")
NoteOption = Annotated[str, typer.Option("--note", help="Why (plain text, at most 500 characters; audited).")]


@findings_app.callback()
def findings_cmd(
    ctx: typer.Context,
    as_json: JsonOption = False,
    status: Annotated[str, typer.Option("--status", help="open, resolved or all.")] = "open",
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's findings.")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Re-evaluate the rules first (and notify the webhook).")
    ] = False,
) -> None:
    """Findings across sources (open ones by default); `ack` or `resolve` one with a note."""
    if ctx.invoked_subcommand is not None:
        return
    from pipeline.maintenance import refresh_after_load
    from traceability.findings import list_findings

    with open_store() as store:
        refreshed = refresh_after_load(store) if refresh else None
        rows = list_findings(store, status=status, rule=rule)
    if as_json:
        print_json(rows)
        return
    if refreshed is not None:
        print_refresh(refreshed)
    console.print(
        report.table(
            f"{status} findings ({len(rows)})",
            ["id", "rule", "severity", "what", "first seen", "resolved", "handled"],
            (
                [
                    r["id"],
                    r["rule"],
                    r["severity"],
                    _clip(describe(r["rule"], r["details"])),
                    _short_time(r["first_seen_at"]),
                    _short_time(r["resolved_at"]),
                    _handled(r),
                ]
                for r in rows
            ),
        )
    )


@findings_app.command("ack")
def findings_ack(
    finding_id: Annotated[int, typer.Argument(metavar="ID")], note: NoteOption, actor: ActorOption = None
) -> None:
    """Acknowledge an open finding with a note: it stays open, marked as being handled (audited)."""
    _act("acknowledge", finding_id, note, actor)


@findings_app.command("resolve")
def findings_resolve(
    finding_id: Annotated[int, typer.Argument(metavar="ID")], note: NoteOption, actor: ActorOption = None
) -> None:
    """Resolve an open finding by hand with a note (audited); it reopens only if its facts change."""
    _act("resolve", finding_id, note, actor)


def _act(action: str, finding_id: int, note: str, actor: str | None) -> None:
    from steward import check_actor, validate_reason
    from traceability import findings

    text, who = validate_reason(note), check_actor(actor_name(actor))
    act = findings.acknowledge if action == "acknowledge" else findings.resolve
    with open_store() as store:
        try:
            row = act(store, finding_id, text, who)
        except findings.FindingActionError as exc:
            err.print(f"[red]error:[/] {exc}; nothing changed")
            raise typer.Exit(1) from None
    console.print(f"finding {row['id']} ({row['rule']}) {action}d by {who}: {describe(row['rule'], row['details'])}")


def print_refresh(out: dict[str, Any]) -> None:
    """One line on what a findings refresh changed, plus any webhook problem."""
    line = f"findings: {out['opened']} opened, {out['resolved']} resolved, {out['open_now']} open now"
    if out["pending"]:
        line += f", {out['pending']} pending until their sources have synced"
    if out["notified"]:
        line += f"; {out['notified']} critical sent to the webhook"
    console.print(line)
    if out["skipped_rules"]:
        err.print(f"[yellow]not evaluated (tables missing):[/] {', '.join(out['skipped_rules'])}")
    if "webhook_error" in out:
        err.print(f"[yellow]warning:[/] {out['webhook_error']}")


def describe(rule: str, d: dict[str, Any]) -> str:
    """What a finding says, in a sentence (the console's findings page says the same, translated)."""
    shipment = f"shipment {d.get('shipment_id')} (order {d.get('order_number') or '?'})"
    lot = f"lot {d.get('lot')} of {d.get('gtin')}"
    texts = {
        "expired_lot_shipped": lambda: f"{lot} expired {d.get('expiry_date')}, shipped in {shipment}",
        "unreleased_lot_shipped": lambda: f"{lot} ({d.get('reason')}) shipped in {shipment}",
        "recalled_lot_shipped": lambda: f"{lot} shipped in {shipment} after recall {d.get('recall_id')}",
        "serial_shipped_twice": lambda: (
            f"serial {d.get('serial')} of {d.get('gtin')} shipped in "
            + ", ".join(str(s.get("shipment_id")) for s in d.get("shipments") or [])
        ),
        "lot_unknown_to_erp": lambda: f"{lot} shipped {d.get('shipments')} time(s), unknown to the ERP",
        "item_unresolved": lambda: f"SKU {d.get('sku')} in {shipment} resolves to no single GTIN",
        "lot_missing": lambda: f"{shipment} ships {d.get('gtin')} (lot-tracked) without a lot",
        "invoice_qty_mismatch": lambda: (
            f"order {d.get('order_number')}, {d.get('item')}: invoiced {d.get('invoiced_qty')}, "
            f"shipped {d.get('shipped_qty')}"
        ),
        "price_outside_tolerance": lambda: (
            f"order {d.get('order_number')} line {d.get('line_no')}: net {d.get('net_unit_price')}, "
            f"list {d.get('list_price')}"
        ),
        "schema_drift": lambda: f"{d.get('source')}/{d.get('entity')} field {d.get('field')}: {d.get('message')}",
        "schema_field_added": lambda: f"{d.get('source')}/{d.get('entity')} sends new field {d.get('field')}",
    }
    text = texts.get(rule)
    return text() if text else ", ".join(f"{k}={v}" for k, v in d.items() if isinstance(v, str | int | float))


def _handled(row: dict[str, Any]) -> str | None:
    if row.get("resolved_by"):
        return f"resolved by {row['resolved_by']}"
    if row.get("acknowledged_by"):
        return f"acknowledged by {row['acknowledged_by']}"
    return None


def _short_time(value: str | None) -> str | None:
    return value[:16].replace("T", " ") if value else None


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"
