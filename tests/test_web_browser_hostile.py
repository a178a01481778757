"""Platform data never runs in a steward's browser: script planted in every entity, every page opened.

A generated world gets markup with script in fields of every entity the platforms serve (shop
orders and products, warehouse shipments, returns and stock, ERP products, partners, lots,
productions, invoices and scraps); one carries it in a field a quality rule rejects, so it lands
in quarantine and in GX's Data Docs too. After a sync, an admin opens every page in Debian's
Chromium, Data Docs included. Any dialog, or any request leaving the console's origin, fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from browsing import ARTIFACTS
from platforms import running_platforms, sync_all
from test_web_browser import sign_in
from webconsole import USERS, password, served

import steward
from pipeline import settings
from quality_checks.data_docs import refresh_data_docs
from simulators.world import World, generate_world
from trace_store import queries
from trace_store.store import Store
from traceability.findings import FindingConfig, list_findings, refresh_findings
from traceability.recall import create_recall
from tracehub.web import create_app

pytestmark = pytest.mark.slow  # the browser tier: `make test-all`


def hostile(n: int) -> str:
    """Markup that would run script, raise a dialog or call home if a page rendered it as HTML."""
    return (
        f'H{n}<script>alert({n})</script><img src=x onerror="alert({n})">'
        f'<img src="https://evil.example/{n}.png"><svg onload="alert({n})"></svg>'
        f'<iframe src="javascript:alert({n})"></iframe>'
    )


def plant(world: World) -> World:
    """Script into a field of every entity's payload (ids and joins left intact, so everything still syncs)."""
    n = iter(range(1, 100))
    order = world.shopify_orders[0]
    order["customer"]["default_address"]["company"] = hostile(next(n))
    order["source_name"] = hostile(next(n))
    world.shopify_orders[1]["currency"] = hostile(next(n))  # fails currency_iso4217: quarantine and Data Docs
    world.shopify_products[0]["title"] = hostile(next(n))
    shipped = next(o for o in world.shipbob_orders if len(o["shipments"]) == 1)
    shipment = shipped["shipments"][0]
    shipment["recipient"]["address"]["company_name"] = hostile(next(n))  # the consignee: traces, recalls
    shipment["location"]["name"] = hostile(next(n))
    shipment["tracking"]["carrier"] = hostile(next(n))
    world.shipbob_returns[0]["reference_id"] = hostile(next(n))
    world.shipbob_returns[0]["fulfillment_center"]["name"] = hostile(next(n))
    world.shipbob_inventory[0]["lots"][0]["locations"][0]["name"] = hostile(next(n))
    odoo = world.odoo
    odoo["product.product"][0]["name"] = hostile(next(n))
    next(p for p in odoo["res.partner"] if p["is_company"])["name"] = hostile(next(n))
    next(lot for lot in odoo["stock.lot"] if not lot["name"].startswith("L"))["name"] = hostile(next(n))
    odoo["mrp.production"][0]["name"] = hostile(next(n))
    odoo["account.move"][0]["name"] = hostile(next(n))
    odoo["stock.scrap"][0]["origin"] = hostile(next(n))
    return world


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("hostile")
    store = Store.open(f"sqlite:///{home / 'tracehub.db'}")
    store.upgrade()
    world = plant(generate_world(17, 0.2))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACEHUB_HOME", str(home))
        with running_platforms(world, mp) as platforms:
            sync_all(platforms, store)
        assert refresh_data_docs(settings.data_docs_dir()) is not None
        for role, name in USERS.items():
            steward.add_user(store, name, password(name), role)
        app = create_app(str(store.engine.url), "hostile-browser-secret-" * 3)
    consignee = next(s for o in world.shipbob_orders for s in o["shipments"] if "<script>" in str(s["recipient"]))
    lots = [r for r in queries.export(store, "shipment") if r["shipment_id"] == str(consignee["id"])]
    assert lots, "the hostile consignee's shipment loaded"
    with served(app) as url:
        yield {"url": url, "store": store, "home": home}
    app.state.store.close()
    store.close()


def pages(console: dict[str, Any]) -> list[str]:
    """Every page of the console that shows platform data, Data Docs included."""
    store = console["store"]
    e = __import__("trace_store.schema", fromlist=["trace_edge"]).trace_edge.c
    with store.connect() as conn:
        import sqlalchemy as sa

        lots = conn.execute(sa.select(e.gtin, e.lot).where(e.lot.is_not(None)).distinct()).all()
    lots = [
        (gtin, lot) for gtin, lot in lots if len(lot) <= 80
    ]  # longer is no lot number; they show on their neighbours' traces
    rows, _ = steward.list_quarantine(store, status=None, limit=500)
    recalls = [create_recall(store, gtin, [lot], reason="hostile data check", actor="qa") for gtin, lot in lots[:3]]
    refresh_findings(store, FindingConfig())
    findings = list_findings(store, status="all")
    assert findings, "the hostile world holds findings"
    found = [
        "/",
        "/quarantine?status=any",
        "/quarantine?source=shop",
        "/quarantine/bulk?action=reject&source=shop",
        *(f"/quarantine/{r['id']}" for r in rows),
        *(f"/trace?{urlencode({'gtin': gtin, 'lot': lot})}" for gtin, lot in lots),
        "/findings?status=all",
        *(f"/findings/{f['id']}" for f in findings),
        "/recalls",
        "/recalls/new",
        *(f"/recalls/{r}" for r in recalls),
        *(f"/recalls/{r}/report.html" for r in recalls),
        "/audit",
        "/users",
        "/kpi",
        "/data-docs",
    ]
    docs = console["home"] / "data_docs"
    found += [f"/data-docs/{p.relative_to(docs).as_posix()}" for p in sorted(docs.rglob("*.html"))]
    return found


def test_no_platform_value_runs_or_calls_home_on_any_page(browser, console):
    origin = urlsplit(console["url"])
    context = browser.new_context(base_url=console["url"], viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs: list[str] = []
    outbound: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
    context.on(
        "request",
        lambda r: (
            outbound.append(f"{page.url} -> {r.url}")
            if urlsplit(r.url).netloc != origin.netloc and not r.url.startswith(("data:", "about:"))
            else None
        ),
    )
    page.goto("/login")
    sign_in(page, "admin")
    visited = pages(console)
    assert any(p.startswith("/data-docs/validations/") for p in visited), "Data Docs hold the quarantined order"
    texts = []
    for path in visited:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        texts.append(page.content())
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(next(p for p in visited if p.startswith("/data-docs/validations/") and "order/header" in p))
    page.screenshot(path=str(ARTIFACTS / "data-docs-hostile-order.png"), full_page=True)
    context.close()
    assert dialogs == []
    assert outbound == []
    shown = "\n".join(texts)
    assert "H1" in shown and "&lt;script&gt;alert(" in shown, "platform text is shown, escaped"
