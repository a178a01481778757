"""Findings in a real browser (Chromium), in English and in Chinese: read the list, open one,
acknowledge it and resolve it with a note, and find both in the audit log.

The store is a small generated world synced through the simulated platforms, its findings
evaluated once every source has synced; screenshots of the pages go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import ARTIFACTS
from webconsole import USERS, password, served, synced_console

from traceability.findings import FindingConfig, list_findings, refresh_findings

pytestmark = pytest.mark.slow  # the browser tier: `make test-all`

LANGUAGES = {
    "en": {
        "header": "en-GB,en;q=0.9",
        "title": "Findings",
        "acknowledged": "acknowledged by sam",
        "resolved": "resolved by sam",
        "open": "Open findings",
    },
    "zh": {
        "header": "zh-CN,zh;q=0.9",
        "title": "异常发现",
        "acknowledged": "已由 sam 确认",
        "resolved": "已由 sam 解决",
        "open": "未处理的异常发现",
    },
}


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    with synced_console(tmp_path_factory.mktemp("home"), "findings-browser-secret-" * 3) as (app, store):
        refresh_findings(store, FindingConfig())
        with served(app) as url:
            yield {"url": url, "store": store}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_steward_reads_acknowledges_and_resolves_a_finding(browser, console, language):
    from playwright.sync_api import expect

    words = LANGUAGES[language]
    store = console["store"]
    open_before = list_findings(store)
    assert len(open_before) >= 2, "the world holds findings to act on"
    context = browser.new_context(
        base_url=console["url"],
        viewport={"width": 1280, "height": 900},
        extra_http_headers={"Accept-Language": words["header"]},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/findings")
    page.fill("input[name=username]", USERS["steward"])
    page.fill("input[name=password]", password(USERS["steward"]))
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/findings$"))
    expect(page.locator("h1")).to_contain_text(words["title"])

    rows = page.locator("[data-testid=finding-row]")
    expect(rows).to_have_count(len(open_before))
    for i in range(rows.count()):
        expect(rows.nth(i).locator("td").nth(2)).not_to_contain_text("|")  # a sentence, not a raw key
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"findings.{language}.png"), full_page=True)

    target = open_before[0]
    page.click(f"a[href='/findings/{target['id']}']")
    expect(page).to_have_url(re.compile(rf"/findings/{target['id']}$"))
    ack_note = f"Asked the 3PL to hold the remaining units ({language})."
    ack = page.locator("form[action$='/acknowledge']")
    ack.locator("textarea[name=note]").fill(ack_note)
    ack.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("sam")
    expect(page.locator("h1")).to_contain_text(words["acknowledged"])
    expect(page.locator("[data-testid=acknowledged]")).to_contain_text(ack_note)

    empty = page.locator("form[action$='/resolve']")
    empty.locator("textarea[name=note]").evaluate("t => t.removeAttribute('required')")
    empty.locator("button[type=submit]").click()
    expect(page.locator("[role=alert]")).to_be_visible()  # no note: refused, nothing changed
    assert all(f["id"] != target["id"] for f in list_findings(store, status="resolved"))

    resolve_note = f"Customer confirmed the units were destroyed; certificate filed ({language})."
    done = page.locator("form[action$='/resolve']")
    done.locator("textarea[name=note]").fill(resolve_note)
    done.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(words["resolved"])
    expect(page.locator("[data-testid=resolved]")).to_contain_text(resolve_note)
    expect(page.locator("form[action$='/resolve']")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"finding.{language}.png"), full_page=True)

    page.goto("/")
    counts = page.locator("[data-testid=finding-counts]")
    expect(counts).to_contain_text(words["open"])
    page.goto("/audit")
    expect(page.locator("body")).to_contain_text(resolve_note)
    context.close()

    resolved = {f["id"]: f for f in list_findings(store, status="resolved")}
    assert resolved[target["id"]]["resolved_by"] == "sam"
    assert resolved[target["id"]]["acknowledge_note"] == ack_note
