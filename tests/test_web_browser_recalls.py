"""Recalls in a real browser (Chromium), in English and Chinese: a steward previews a recall, records it,
is warned when the same lot is recalled again and must confirm, then closes the first one.

Full-page screenshots of each recall page per language go to test-artifacts/recall-*.<lang>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from browsing import ARTIFACTS
from webconsole import USERS, password, served, synced_console

from trace_store.schema import trace_edge
from traceability import recall as recalls

pytestmark = pytest.mark.slow  # the browser tier

TEXT = {
    "en": {"preview": "Preview impact", "record": "Record the recall", "close": "Close the recall", "closed": "closed"},
    "zh": {"preview": "预览影响", "record": "记录召回", "close": "关闭召回", "closed": "已关闭"},
}


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    with (
        synced_console(tmp_path_factory.mktemp("home"), "browser-recall-secret-" * 3) as (app, store),
        served(app) as url,
    ):
        yield {"url": url, "store": store}


def shipped_lots(store: Any) -> list[tuple[str, str]]:
    e = trace_edge.c
    with store.connect() as conn:
        query = sa.select(e.gtin, e.lot).where(e.lot.is_not(None), e.evidence == "shipped").distinct()
        return sorted(conn.execute(query.order_by(e.gtin, e.lot)).tuples())


def shot(page: Any, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.{language}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_steward_previews_records_confirms_a_duplicate_and_closes(browser, console, language):
    from playwright.sync_api import expect

    store = console["store"]
    gtin, lot = shipped_lots(store)[0 if language == "en" else -1]
    words = TEXT[language]
    context = browser.new_context(
        base_url=console["url"],
        viewport={"width": 1280, "height": 900},
        locale="zh-CN" if language == "zh" else "en-US",
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9" if language == "zh" else "en"},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", USERS["steward"])
    page.fill("input[name=password]", password(USERS["steward"]))
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("[data-testid=whoami]")

    page.goto("/recalls")
    page.click("[data-testid=new-recall]")
    expect(page).to_have_url(re.compile(r"/recalls/new$"))
    page.fill("input[name=gtin]", gtin)
    page.fill("textarea[name=lots]", lot)
    page.fill(
        "textarea[name=reason]",
        "Cannula burr & crack (supplier notice 17)" if language == "en" else "供应商报告套管毛刺",
    )
    shot(page, "recall-new", language)
    page.click(f"button:has-text('{words['preview']}')")
    expected = recalls.preview(store, gtin, [lot])
    consignees = page.locator("[data-testid=impact-consignees]")
    for c in expected.consignees:
        expect(consignees).to_contain_text(c.name)
    expect(page.locator("[data-testid=duplicate-warning]")).to_have_count(0)
    expect(page.locator("[data-testid=impact-lots]")).to_contain_text(lot)
    shot(page, "recall-preview", language)
    page.click(f"button:has-text('{words['record']}')")
    expect(page).to_have_url(re.compile(r"/recalls/\d+$"))
    first = int(page.url.rsplit("/", 1)[1])
    assert recalls.get_recall(store, first).created_by == USERS["steward"]
    expect(page.locator("[data-testid=recall-status]")).to_have_class(re.compile("open"))

    page.goto("/recalls/new")
    page.fill("input[name=gtin]", gtin)
    page.fill("textarea[name=lots]", lot)
    page.fill("textarea[name=reason]", "second notice")
    page.click(f"button:has-text('{words['preview']}')")
    warning = page.locator("[data-testid=duplicate-warning]")
    expect(warning).to_contain_text(lot)
    expect(warning.locator(f"a[href='/recalls/{first}']")).to_have_count(1)
    shot(page, "recall-duplicate", language)
    page.click(f"button:has-text('{words['record']}')")  # the browser refuses: the confirmation is required
    expect(page.locator("[data-testid=duplicate-warning]")).to_be_visible()
    assert (
        len(recalls.open_recalls_of(store, recalls.preview(store, gtin, [lot]).recall.items)[f"{gtin} lot {lot}"]) == 1
    )
    page.check("input[name=confirm_duplicate]")
    page.click(f"button:has-text('{words['record']}')")
    expect(page).to_have_url(re.compile(r"/recalls/\d+$"))
    assert int(page.url.rsplit("/", 1)[1]) > first

    page.goto(f"/recalls/{first}")
    shot(page, "recall-detail", language)
    page.fill("[data-testid=close-form] textarea[name=reason]", "All units back in returns quarantine (RMA 88)")
    page.click(f"[data-testid=close-form] button:has-text('{words['close']}')")
    expect(page.locator("[data-testid=recall-status]")).to_have_text(words["closed"])
    expect(page.locator("[data-testid=closed-by]")).to_contain_text("RMA 88")
    expect(page.locator("[data-testid=close-form]")).to_have_count(0)
    assert recalls.get_recall(store, first).status == "closed"
    shot(page, "recall-closed", language)
    page.goto("/recalls")
    expect(page.locator("[data-testid=recalls-table]")).to_contain_text("RMA 88")
    shot(page, "recalls", language)
    page.goto(f"/recalls/{first}/report.html")
    expect(page.locator("h2").first).to_have_text("谱系与分销" if language == "zh" else "Genealogy and distribution")
    shot(page, "recall-report", language)
    context.close()
