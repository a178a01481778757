"""A recall impact report as terminal tables, CSV, JSON, or one self-contained HTML page.

All are drawn from `ImpactReport.as_dict()`, so they state the same figures. The HTML page
needs nothing but itself: inline CSS and an inline SVG of the genealogy (recalled lots, lots made
from them) and the distribution (lots to consignees), no scripts, no external assets. It is rendered
from the Jinja2 templates in tracehub/templates/ with autoescaping on: this module works out the
figures and the diagram's geometry, the templates hold the markup.

The HTML page and the consignee CSV (the list a recall team phones through) are written for
people: in English or Chinese (the console's catalog tracehub/web/locale/zh/recalls.po), devices
named in both languages, times in the store's zone (TRACEHUB_TIMEZONE); every cell of the
consignee CSV that a spreadsheet would run as a formula (= + - @ first) gets a leading apostrophe.
The flat CSV and JSON are for programs: fixed English keys, values as stored, times in UTC.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline import settings
from traceability.recall import ImpactReport
from tracehub.report import FittedTable, table

FORMATS = ("table", "csv", "json", "html", "consignees")
LANGUAGES = ("en", "zh")
Names = Mapping[str, Mapping[str, Any]]
"""GTIN -> {"name_en", "name_zh"}: trace_store.queries.device_names()."""
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
RETURN_COLUMNS = ["consignee", "gtin", "lot", "serials", "qty", "return date", "return", "order"]
STOCK_COLUMNS = ["gtin", "lot", "location", "on hand"]

BALANCE_KEYS = ("gtin", "lot", "produced", "shipped", "at_customers", "returned", "on_hand", "scrapped", "unaccounted")
BALANCE_COLUMNS = [key.replace("_", " ") for key in BALANCE_KEYS]
"""One mass-balance row per lot reached; every column after gtin and lot is a quantity."""


def _balance_cells(data: dict[str, Any]) -> Iterator[list[Any]]:
    return ([m[key] for key in BALANCE_KEYS] for m in data["mass_balance"])


def _stock_cells(data: dict[str, Any]) -> Iterator[list[Any]]:
    return ([s["gtin"], s["lot"], s["location"], s["on_hand"]] for s in data["stock"])


def render(report: ImpactReport, fmt: str, lang: str = "en", names: Names | None = None) -> str:
    """The report as text in `fmt` (one of FORMATS; `table` is the terminal tables as plain text).

    `lang` and `names` apply to the formats written for people: `html` and `consignees`.
    """
    if fmt == "json":
        return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report, lang, names)
    if fmt == "consignees":
        return to_consignee_csv(report, lang, names)
    if fmt == "table":
        from rich.console import Console

        console = Console(file=io.StringIO(), width=200, record=True)
        for t in tables(report):
            console.print(t)
        return console.export_text()
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def tables(report: ImpactReport) -> list[FittedTable]:
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
        STOCK_COLUMNS,
        _stock_cells(data),
        ["on hand"],
    )
    balance = table(
        "mass balance: produced = at customers + returned + on hand + scrapped + unaccounted",
        BALANCE_COLUMNS,
        _balance_cells(data),
        BALANCE_COLUMNS[2:],
    )
    return [lots, consignees, stock, balance]


def _item(item: dict[str, Any], _: Callable[[str], str] = str) -> str:
    """`GTIN lot L` or `GTIN serial S`, the words in the language of `_`."""
    if item["serial"]:
        return f"{item['gtin']} " + _("serial %(serial)s") % {"serial": item["serial"]}
    return f"{item['gtin']} " + _("lot %(lot)s") % {"lot": item["lot"]}


def _delivery_cells(
    data: dict[str, Any], day: Callable[[str | None], str] = lambda t: (t or "")[:10]
) -> Iterator[list[Any]]:
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
                day(d["ship_date"]),
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


def inert(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (or tab, CR) gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(report: ImpactReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


CONSIGNEE_COLUMNS = [
    "consignee",
    "role",
    "region",
    "contact person",
    "email",
    "phone",
    "gtin",
    "device",
    "lot",
    "serials",
    "qty",
    "ship date",
    "shipment",
    "order",
    "invoices",
    "confidence",
]
"""The consignee list: one row per consignee, shipment and lot, with everything needed to reach them."""


def to_consignee_csv(report: ImpactReport, lang: str = "en", names: Names | None = None) -> str:
    """Consignees with contacts, shipments, lots and quantities; UTF-8 with a BOM so Excel reads Chinese."""
    _ = translator(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_(h) for h in CONSIGNEE_COLUMNS])
    for c in report.as_dict()["consignees"]:
        for d in c["deliveries"]:
            row = [
                c["name"],
                c["role"],
                c["region"],
                c["person"],
                c["email"],
                c["phone"],
                d["gtin"],
                device_label(d["gtin"], names, lang),
                d["lot"],
                " ".join(d["serials"]),
                d["qty"],
                local_date(d["ship_date"]),
                d["shipment_id"],
                d["order_number"],
                " ".join(d["invoices"]),
                _(d["confidence"]),
            ]
            qty = CONSIGNEE_COLUMNS.index("qty")
            writer.writerow([v if i == qty else inert(v) for i, v in enumerate(row)])
    return "\ufeff" + out.getvalue()


def report_gtins(report: ImpactReport) -> list[str]:
    """Every GTIN the report shows (for trace_store.queries.device_names)."""
    found = {a.gtin for a in report.lots} | {i.gtin for i in report.recall.items}
    found |= {d.gtin for c in report.consignees for d in c.deliveries if d.gtin}
    return sorted(found)


def translator(lang: str) -> Callable[[str], str]:
    """gettext for `lang` from the console's catalogs (English: the text itself)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; choose from {', '.join(LANGUAGES)}")
    if lang == "en":
        return str
    from tracehub.web.i18n import translations

    return translations(lang).gettext


def local_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A stored UTC time in the store's zone (TRACEHUB_TIMEZONE)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(settings.timezone()).strftime(fmt)


def local_date(value: str | datetime | None) -> str:
    return local_time(value, "%Y-%m-%d")


def device_label(gtin: str | None, names: Names | None, lang: str) -> str:
    """The device's name in `lang`, the other language's after it in brackets when it differs."""
    found = (names or {}).get(gtin or "") or {}
    en, zh = found.get("name_en"), found.get("name_zh")
    first, second = (zh, en) if lang == "zh" else (en, zh)
    first, second = (first, second) if first else (second, None)
    return f"{first} ({second})" if first and second and second != first else first or ""


@cache
def _templates(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # platform text (names, lots, reasons) is untrusted: every value is escaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    if lang == "en":
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    else:
        from tracehub.web.i18n import translations

        env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def to_html(report: ImpactReport, lang: str = "en", names: Names | None = None) -> str:
    """One page, no external references: inline CSS and SVG; in `lang`, devices named from `names`."""
    _ = translator(lang)
    data = report.as_dict()
    r = data["recall"]
    headers = [*DELIVERY_COLUMNS[:5], "device", *DELIVERY_COLUMNS[5:]]
    deliveries = ([*row[:5], device_label(row[4], names, lang), *row[5:]] for row in _delivery_cells(data, local_date))
    return (
        _templates(lang)
        .get_template("recall_report.html.j2")
        .render(
            lang=lang,
            recall=r,
            status=_(r["status"]),
            created_at=local_time(r["created_at"]),
            closed_at=local_time(r["closed_at"]),
            items=", ".join(_item(i, _) for i in r["items"]),
            totals=data["totals"],
            diagram=_diagram(data, _),
            consignees=_table(
                [_(h) for h in headers],
                deliveries,
                numeric={headers.index("qty")},
                flag=headers.index("confidence"),
                words=_,
            ),
            returns=_table(
                [_(h) for h in RETURN_COLUMNS],
                (
                    [
                        c["name"],
                        x["gtin"],
                        x["lot"],
                        " ".join(x["serials"]),
                        x["qty"],
                        local_date(x["return_date"]),
                        x["return_id"],
                        x["order_number"],
                    ]
                    for c in data["consignees"]
                    for x in c["returns"]
                ),
                numeric={RETURN_COLUMNS.index("qty")},
            ),
            stock=_table([_(h) for h in STOCK_COLUMNS], _stock_cells(data), numeric={STOCK_COLUMNS.index("on hand")}),
            balance=_table(
                [_(h) for h in BALANCE_COLUMNS],
                _balance_cells(data),
                numeric=set(range(2, len(BALANCE_COLUMNS))),
                gap=BALANCE_COLUMNS.index("unaccounted"),
            ),
        )
    )


def _table(
    headers: list[str],
    rows: Iterable[list[Any]],
    numeric: set[int],
    flag: int | None = None,
    gap: int | None = None,
    words: Callable[[str], str] = str,
) -> dict[str, Any]:
    """A table for the page: each cell as (text, CSS classes): `n` for the `numeric` columns, `gap` for a
    nonzero `gap` column; a row is `inferred` when its `flag` column says so (that column in `words`)."""
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = "" if value is None else str(value)
            text = words(text) if i == flag else text
            classes = ["n"] if i in numeric else []
            if gap is not None and i == gap and text not in ("", "0"):
                classes.append("gap")
            cells.append((text, " ".join(classes)))
        body.append({"inferred": flag is not None and row[flag] == "inferred", "cells": cells})
    return {"headers": headers, "rows": body}


def svg(data: dict[str, Any]) -> str:
    """Three columns: recalled lots, lots made from them, consignees (with the units they got).

    Solid lines are recorded evidence, dashed ones inferred (a candidate input lot, DESIGN rule 6).
    """
    return _templates("en").get_template("recall_diagram.svg.j2").render(diagram=_diagram(data))


def _diagram(data: dict[str, Any], _: Callable[[str], str] = str) -> dict[str, Any]:
    """The diagram's geometry: column headings, the links between boxes and the boxes with their labels."""
    recalled = [lot["key"] for lot in data["lots"] if lot["depth"] == 0]
    made = [lot["key"] for lot in data["lots"] if lot["depth"] > 0]
    consignees = data["consignees"]
    labels = [recalled, made, [f"{c['name']} ({c['shipped']})" for c in consignees]]
    row_h, box_w, box_h, gap_x, top = 30, 300, 22, 110, 36
    xs = [10, 10 + box_w + gap_x, 10 + 2 * (box_w + gap_x)]
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
    fills = ("#fde2e1", "#fff3c4", "#e3f1fd")
    boxes = [
        {
            "x": xs[col],
            "y": y,
            "width": box_w,
            "height": box_h,
            "fill": fills[col],
            "text_x": xs[col] + 6,
            "text_y": y + 15,
            "text": name if len(name) <= 46 else name[:45] + "…",
            "title": name,
        }
        for col, names in enumerate(labels)
        for name, y in zip(names, ys[col].values(), strict=True)
    ]
    return {
        "width": xs[2] + box_w + 10,
        "height": top + row_h * max(1, *(len(c) for c in labels)) + 10,
        "headings": [
            {"x": x, "y": 20, "text": h}
            for x, h in zip(xs, (_("recalled lots"), _("made from them"), _("consignees (units shipped)")), strict=True)
        ],
        "links": [
            {
                "x1": xs[col_a] + box_w,
                "y1": ys[col_a][a] + box_h / 2,
                "x2": xs[col_b],
                "y2": ys[col_b][b] + box_h / 2,
                "inferred": inferred,
            }
            for (a, col_a, b, col_b), inferred in links.items()
            if a in ys[col_a] and b in ys[col_b]
        ],
        "boxes": boxes,
    }
