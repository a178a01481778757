"""Quarantine triage and corrections in a real browser (Chromium), in English and in Chinese.

A steward opens the grouped quarantine, follows a group to its filtered list (as many rows as the
group counted, each with its message, value and business key), confirms a bulk action on the whole
filter, and corrects a record through the typed form: a correction that still breaks a rule is
shown with the rule and loads nothing, a good one loads. Full-page screenshots of each page in
each language go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import ARTIFACTS
from webconsole import USERS, password, served, synced_console

import steward

pytestmark = pytest.mark.slow  # the browser tier: `make test-all`
LOCALES = {"en": "en-GB", "zh": "zh-CN"}
CORRECTABLE = ("currency_iso4217", "qty_positive")


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    with (
        synced_console(tmp_path_factory.mktemp("home"), "browser-quarantine-secret-" * 2) as (app, store),
        served(app) as url,
    ):
        yield {"url": url, "store": store}


def steward_page(browser: Any, console: dict[str, Any], language: str) -> Any:
    """A signed-in steward whose browser asks for `language` (the user has chosen none)."""
    context = browser.new_context(
        base_url=console["url"], viewport={"width": 1280, "height": 900}, locale=LOCALES[language]
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", USERS["steward"])
    page.fill("input[name=password]", password(USERS["steward"]))
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("[data-testid=whoami]")
    return page


def shot(page: Any, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.{language}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def group_for(store: Any, language: str) -> dict[str, Any]:
    """English rejects one group, Chinese replays another; neither holds a record the correction test needs."""
    keep = {r["id"] for rule in CORRECTABLE for r in steward.list_quarantine(store, rule=rule, limit=1000)[0]}
    candidates = [
        g
        for g in steward.quarantine_groups(store)
        if g["rule"] not in CORRECTABLE
        and not keep & {r["id"] for r in steward.list_quarantine(store, rule=g["rule"], source=g["source"])[0]}
    ]
    assert len(candidates) >= 2, candidates
    return candidates[0 if language == "en" else 1]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_triage_groups_filter_and_a_confirmed_bulk_action(browser, console, language):
    from playwright.sync_api import expect

    store = console["store"]
    group = group_for(store, language)
    page = steward_page(browser, console, language)
    page.goto("/quarantine")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh" else "en")
    groups = page.locator("[data-testid=groups] tr[data-rule]")
    assert groups.count() == len(steward.quarantine_groups(store))
    shot(page, "quarantine-list", language)

    row = page.locator(f"[data-testid=groups] tr[data-rule='{group['rule']}'][data-source='{group['source']}']")
    expect(row.locator("[data-testid=group-count]")).to_have_text(str(group["count"]))
    row.locator("a").click()
    expect(page).to_have_url(
        re.compile(rf"rule={group['rule']}.*source={group['source']}|source={group['source']}.*rule={group['rule']}")
    )
    rows = page.locator("[data-testid=quarantine-row]")
    expect(rows).to_have_count(group["count"])
    listed, _ = steward.list_quarantine(store, rule=group["rule"], source=group["source"], entity=group["entity"])
    for i, record in enumerate(listed):
        first = record["failures"][0]
        expect(rows.nth(i).locator("[data-testid=message]")).to_have_text(first["message"])
        keys = " · ".join(f"{name} {value}" for name, value in record["business_key"])
        expect(rows.nth(i).locator("[data-testid=business-key]")).to_have_text(keys)

    action = "reject" if language == "en" else "replay"
    page.locator(f"[data-testid=bulk] a[href*='action={action}']").click()
    expect(page.locator("[data-testid=bulk-count]")).to_contain_text(str(group["count"]))
    shot(page, "quarantine-bulk", language)
    if action == "reject":
        page.fill("textarea[name=reason]", "Test records from the staging shop (ticket 88)")
    page.locator("[data-testid=bulk-confirm] button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text(str(group["count"]))
    after, _ = steward.list_quarantine(
        store, rule=group["rule"], source=group["source"], entity=group["entity"], status=None
    )
    wanted = "rejected" if action == "reject" else "open"
    assert {r["id"] for r in after if r["status"] == wanted} >= {r["id"] for r in listed}
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_correction_is_checked_before_it_loads(browser, console, language):
    from playwright.sync_api import expect

    store = console["store"]
    rule = CORRECTABLE[0] if language == "en" else CORRECTABLE[1]
    (record,), _ = steward.list_quarantine(store, rule=rule, limit=1)
    failure = next(f for f in record["failures"] if f["rule"] == rule)
    good, bad = ("CNY", "XYZ") if rule == "currency_iso4217" else ("2", "-1")

    page = steward_page(browser, console, language)
    page.goto(f"/quarantine/{record['id']}")
    expect(page.locator("[data-testid=next-step]")).to_be_visible()
    expect(page.locator("[data-testid=business-key]")).to_contain_text(record["business_key"][0][1])
    field = page.locator(f"[data-testid=correct-form] [name='field:{failure['field']}']")
    expect(field).to_have_value(str(failure["value"]))

    field.fill(bad)
    page.fill("[data-testid=correct-form] textarea[name=reason]", "Confirmed with the shop (ticket 91)")
    page.locator("[data-testid=correct-form] button[type=submit]").click()
    expect(page.locator("[data-testid=correction-failures]")).to_contain_text(rule)
    assert steward.get_quarantine(store, record["id"])["status"] == "open", "a failing correction loads nothing"
    shot(page, "quarantine-correction-refused", language)

    page.locator(f"[data-testid=correct-form] [name='field:{failure['field']}']").fill(good)
    page.locator("[data-testid=correct-form] button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("[data-testid=status] .pill")).to_have_attribute("data-status", "corrected")
    corrections = page.locator("[data-testid=corrections]")
    expect(corrections).to_contain_text(failure["field"])
    expect(corrections).to_contain_text("Confirmed with the shop (ticket 91)")
    expect(page.locator("[data-testid=correct-form]")).to_have_count(0)
    shot(page, "quarantine-detail", language)
    done = steward.get_quarantine(store, record["id"])
    assert done["status"] == "corrected" and done["corrections"][0]["actor"] == USERS["steward"]
    page.context.close()
