"""A recall impact report as terminal tables, CSV, JSON, or one self-contained HTML page.

All four are drawn from `ImpactReport.as_dict()`, so they state the same figures. The HTML page
needs nothing but itself: inline CSS and an inline SVG of the genealogy (recalled lots, lots made
from them) and the distribution (lots to consignees), no scripts, no external assets.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from html import escape
from typing import Any

from rich.table import Table

from trace_store.recall import ImpactReport
from tracehub.report import table

FORMATS = ("table", "csv", "json", "html")
CSV_COLUMNS = (
    "record",
    "recall_id",
    "consignee",
    "role",
    "region",
    "person",
    "email",
    "phone",
    "gtin",
    "lot",
    "serials",
    "qty",
    "date",
    "document",
    "order_number",
    "invoices",
    "confidence",
    "location",
    "produced",
    "shipped",
    "returned",
    "on_hand",
    "scrapped",
    "unaccounted",
)
"""One flat file: `record` says what a row is (delivery, return, stock, mass_balance)."""
BALANCE = ("produced", "shipped", "returned", "on_hand", "scrapped", "unaccounted")


DELIVERY_COLUMNS = [
    "consignee",
    "role",
    "region",
    "contact",
    "gtin",
    "lot",
    "serials",
    "qty",
    "ship date",
    "shipment",
    "order",
    "invoices",
    "confidence",
]
"""One delivery row, the same in the terminal table and the HTML report."""

BALANCE_KEYS = ("gtin", "lot", "produced", "shipped", "at_customers", "returned", "on_hand", "scrapped", "unaccounted")
BALANCE_COLUMNS = [key.replace("_", " ") for key in BALANCE_KEYS]
"""One mass-balance row per lot reached; every column after gtin and lot is a quantity."""


def _balance_cells(data: dict[str, Any]) -> Iterator[list[Any]]:
    return ([m[key] for key in BALANCE_KEYS] for m in data["mass_balance"])


def render(report: ImpactReport, fmt: str) -> str:
    """The report as text in `fmt` (one of FORMATS; `table` is the terminal tables as plain text)."""
    if fmt == "json":
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "table":
        from rich.console import Console

        console = Console(file=io.StringIO(), width=200, record=True)
        for t in tables(report):
            console.print(t)
        return console.export_text()
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def tables(report: ImpactReport) -> list[Table]:
    data = report.as_dict()
    r = data["recall"]
    items = ", ".join(_item(i) for i in r["items"])
    lots = table(
        f"recall {r['recall_id']} ({r['status']}) by {r['created_by']} at {r['created_at'][:19]}: {r['reason']}",
        ["lot", "reached", "confidence", "made from"],
        (
            [
                lot["key"],
                "recalled" if lot["depth"] == 0 else f"depth {lot['depth']}",
                lot["confidence"],
                ", ".join(lot["made_from"]),
            ]
            for lot in data["lots"]
        ),
    )
    lots.caption = f"items: {items}"
    t = data["totals"]
    consignees = table(
        f"{t['consignees']} consignees, {t['shipped']} units shipped, {t['returned']} returned",
        DELIVERY_COLUMNS,
        _delivery_cells(data),
        ["qty"],
    )
    stock = table(
        f"still in our warehouses: {t['on_hand']} units",
        ["gtin", "lot", "location", "on hand"],
        ([s["gtin"], s["lot"], s["location"], s["on_hand"]] for s in data["stock"]),
        ["on hand"],
    )
    balance = table(
        "mass balance: produced = at customers + returned + on hand + scrapped + unaccounted",
        BALANCE_COLUMNS,
        _balance_cells(data),
        BALANCE_COLUMNS[2:],
    )
    return [lots, consignees, stock, balance]


def _item(item: dict[str, Any]) -> str:
    return f"{item['gtin']} serial {item['serial']}" if item["serial"] else f"{item['gtin']} lot {item['lot']}"


def _delivery_cells(data: dict[str, Any]) -> Iterator[list[Any]]:
    for c in data["consignees"]:
        for d in c["deliveries"]:
            yield [
                c["name"],
                c["role"],
                c["region"],
                c["contact"],
                d["gtin"],
                d["lot"],
                " ".join(d["serials"]),
                d["qty"],
                (d["ship_date"] or "")[:10],
                d["shipment_id"],
                d["order_number"],
                " ".join(d["invoices"]),
                d["confidence"],
            ]


def csv_rows(report: ImpactReport) -> Iterator[dict[str, Any]]:
    """The CSV's rows as dicts over CSV_COLUMNS (missing columns empty)."""
    data = report.as_dict()
    rid = data["recall"]["recall_id"]
    for c in data["consignees"]:
        party = {
            "consignee": c["name"],
            "role": c["role"],
            "region": c["region"],
            "person": c["person"],
            "email": c["email"],
            "phone": c["phone"],
        }
        for d in c["deliveries"]:
            yield {
                "record": "delivery",
                "recall_id": rid,
                **party,
                "gtin": d["gtin"],
                "lot": d["lot"],
                "serials": " ".join(d["serials"]),
                "qty": d["qty"],
                "date": d["ship_date"],
                "document": d["shipment_id"],
                "order_number": d["order_number"],
                "invoices": " ".join(d["invoices"]),
                "confidence": d["confidence"],
            }
        for ret in c["returns"]:
            yield {
                "record": "return",
                "recall_id": rid,
                **party,
                "gtin": ret["gtin"],
                "lot": ret["lot"],
                "serials": " ".join(ret["serials"]),
                "qty": ret["qty"],
                "date": ret["return_date"],
                "document": ret["return_id"],
                "order_number": ret["order_number"],
            }
    for s in data["stock"]:
        yield {
            "record": "stock",
            "recall_id": rid,
            "gtin": s["gtin"],
            "lot": s["lot"],
            "location": s["location"],
            "on_hand": s["on_hand"],
        }
    for m in data["mass_balance"]:
        yield {
            "record": "mass_balance",
            "recall_id": rid,
            "gtin": m["gtin"],
            "lot": m["lot"],
            **{k: m[k] for k in BALANCE},
        }


def to_csv(report: ImpactReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans SC",sans-serif;margin:2rem;color:#1d2733}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #ccd5df}
.meta{color:#52606d}.totals span{display:inline-block;margin-right:1.5rem;font-weight:600}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border:1px solid #d9e1ea;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#eef2f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.inferred{color:#9a5b00;font-style:italic}.gap{color:#b42318;font-weight:700}svg{max-width:100%;height:auto}
"""


def to_html(report: ImpactReport) -> str:
    """One page, no external references: inline CSS and SVG."""
    data = report.as_dict()
    r, t = data["recall"], data["totals"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Recall {r['recall_id']} impact</title><style>{_CSS}</style></head><body>",
        f"<h1>Recall {r['recall_id']}: {escape(r['reason'])}</h1>",
        f'<p class="meta">Status {escape(r["status"])}; recorded by {escape(r["created_by"])} at '
        f"{escape(r['created_at'])}. Items: {escape(', '.join(_item(i) for i in r['items']))}.</p>",
        '<p class="totals">'
        + "".join(
            f"<span>{escape(str(v))} {label}</span>"
            for label, v in (
                ("consignees", t["consignees"]),
                ("units shipped", t["shipped"]),
                ("units returned", t["returned"]),
                ("units on hand", t["on_hand"]),
            )
        )
        + "</p>",
        "<h2>Genealogy and distribution</h2>",
        svg(data),
        "<h2>Consignees</h2>",
        _html_table(
            DELIVERY_COLUMNS,
            _delivery_cells(data),
            numeric={DELIVERY_COLUMNS.index("qty")},
            flag=DELIVERY_COLUMNS.index("confidence"),
        ),
        "<h2>Returned by consignees</h2>",
        _html_table(
            ["consignee", "gtin", "lot", "serials", "qty", "return date", "return", "order"],
            (
                [
                    c["name"],
                    x["gtin"],
                    x["lot"],
                    " ".join(x["serials"]),
                    x["qty"],
                    (x["return_date"] or "")[:10],
                    x["return_id"],
                    x["order_number"],
                ]
                for c in data["consignees"]
                for x in c["returns"]
            ),
            numeric={4},
        ),
        "<h2>Still in our warehouses</h2>",
        _html_table(
            ["gtin", "lot", "location", "on hand"],
            ([s["gtin"], s["lot"], s["location"], s["on_hand"]] for s in data["stock"]),
            numeric={3},
        ),
        "<h2>Mass balance</h2>",
        "<p>produced = at customers + returned + on hand + scrapped + unaccounted</p>",
        _html_table(
            BALANCE_COLUMNS,
            _balance_cells(data),
            numeric=set(range(2, len(BALANCE_COLUMNS))),
            gap=BALANCE_COLUMNS.index("unaccounted"),
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _html_table(
    headers: list[str], rows: Any, numeric: set[int], flag: int | None = None, gap: int | None = None
) -> str:
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for row in rows:
        cls = ' class="inferred"' if flag is not None and row[flag] == "inferred" else ""
        out.append(f"<tr{cls}>")
        for i, value in enumerate(row):
            text = "" if value is None else str(value)
            classes = ["n"] if i in numeric else []
            if gap is not None and i == gap and text not in ("", "0"):
                classes.append("gap")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            out.append(f"<td{attr}>{escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def svg(data: dict[str, Any]) -> str:
    """Three columns: recalled lots, lots made from them, consignees (with the units they got).

    Solid lines are recorded evidence, dashed ones inferred (a candidate input lot, DESIGN rule 6).
    """
    recalled = [lot["key"] for lot in data["lots"] if lot["depth"] == 0]
    made = [lot["key"] for lot in data["lots"] if lot["depth"] > 0]
    consignees = data["consignees"]
    labels = [recalled, made, [f"{c['name']} ({c['shipped']})" for c in consignees]]
    row_h, box_w, box_h, gap_x, top = 30, 300, 22, 110, 36
    xs = [10, 10 + box_w + gap_x, 10 + 2 * (box_w + gap_x)]
    height = top + row_h * max(1, *(len(c) for c in labels)) + 10
    width = xs[2] + box_w + 10
    ys = [{name: top + i * row_h for i, name in enumerate(col)} for col in (recalled, made)]
    ys.append({c["name"]: top + i * row_h for i, c in enumerate(consignees)})
    column_of = {key: 0 for key in recalled} | {key: 1 for key in made}
    links: dict[tuple[str, int, str, int], bool] = {}
    for lot in data["lots"]:
        for parent in lot["made_from"] if lot["depth"] else []:
            links[(parent, column_of.get(parent, 0), lot["key"], 1)] = lot["confidence"] == "inferred"
    for c in consignees:
        for d in c["deliveries"]:
            key = f"{d['gtin']}|{d['lot']}"
            link = (key, column_of.get(key, 0), c["name"], 2)
            links[link] = links.get(link, False) or d["confidence"] == "inferred"
    parts = [
        f'<text x="{x}" y="20" font-size="12" font-weight="600" fill="#1d2733">{h}</text>'
        for x, h in zip(xs, ("recalled lots", "made from them", "consignees (units shipped)"), strict=True)
    ]
    for (a, col_a, b, col_b), inferred in links.items():
        if a not in ys[col_a] or b not in ys[col_b]:
            continue
        dash = ' stroke-dasharray="5 4"' if inferred else ""
        parts.append(
            f'<line x1="{xs[col_a] + box_w}" y1="{ys[col_a][a] + box_h / 2}" x2="{xs[col_b]}" '
            f'y2="{ys[col_b][b] + box_h / 2}" stroke="#7b8794" stroke-width="1.2"{dash}/>'
        )
    fills = ("#fde2e1", "#fff3c4", "#e3f1fd")
    for col, names in enumerate(labels):
        for name, y in zip(names, ys[col].values(), strict=True):
            text = name if len(name) <= 46 else name[:45] + "…"
            parts.append(
                f'<g><rect x="{xs[col]}" y="{y}" width="{box_w}" height="{box_h}" rx="4" fill="{fills[col]}" '
                f'stroke="#52606d"/><text x="{xs[col] + 6}" y="{y + 15}" font-size="11" fill="#1d2733">'
                f"{escape(text)}<title>{escape(name)}</title></text></g>"
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="genealogy and distribution">{"".join(parts)}</svg>'
    )
