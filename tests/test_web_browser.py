"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright.

The app runs under uvicorn in a thread on a free loopback port, over a store filled by syncing a
small generated world through the simulated platforms, so the quarantine holds real records.
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

RULE = "currency_iso4217"


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The console served over real HTTP on 127.0.0.1:<free port>."""
    with (
        synced_console(tmp_path_factory.mktemp("home"), "browser-test-secret-" * 3) as (app, store),
        served(app) as url,
    ):
        yield {"url": url, "store": store}


@pytest.fixture
def page(browser, console) -> Iterator[Any]:
    context = browser.new_context(base_url=console["url"], viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page: Any, role: str) -> None:
    name = USERS[role]
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password(name))
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("[data-testid=whoami]")


def test_a_steward_filters_opens_accepts_and_finds_the_audit_entry(page, console):
    from playwright.sync_api import expect

    page.goto("/quarantine")
    expect(page).to_have_url(re.compile(r"/login\?next=/quarantine$"))
    sign_in(page, "steward")
    expect(page).to_have_url(re.compile(r"/quarantine$"))

    page.select_option("select[name=source]", "shop")
    page.fill("input[name=rule]", RULE)
    page.click("button:has-text('Filter')")
    expect(page).to_have_url(re.compile(rf"source=shop.*rule={RULE}"))
    rows = page.locator("[data-testid=quarantine-table] tr:has(td a)")
    assert rows.count() >= 1
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text(RULE)
        expect(rows.nth(i)).to_contain_text("shop")

    rows.first.locator("td a").first.click()
    expect(page.locator("h1")).to_contain_text("Record")
    expect(page.locator("[data-testid=status]")).to_have_text("open")
    expect(page.locator("[data-testid=failures]")).to_contain_text(RULE)
    marked = page.locator("pre.json span.failed")
    assert marked.count() >= 1
    expect(marked.first).to_have_attribute("data-note", re.compile(RULE))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "quarantine-detail.png"), full_page=True)
    assert (ARTIFACTS / "quarantine-detail.png").stat().st_size > 10_000

    reason = "Supplier confirmed RMB means CNY for this order (ticket 4711)."
    accept = page.locator("form[action$='/accept']")
    accept.locator("textarea[name=reason]").fill(reason)
    accept.locator("button:has-text('Accept')").click()
    expect(page.locator(".flash")).to_contain_text("accepted by sam")
    expect(page.locator("[data-testid=status]")).to_have_text("accepted")
    expect(page.locator("[data-testid=history]")).to_contain_text(reason)
    expect(page.locator("[data-testid=actions]")).to_have_count(0)

    page.click("text=Audit entries for this record")
    table = page.locator("[data-testid=audit-table]")
    expect(table).to_contain_text("quarantine.accept")
    expect(table).to_contain_text(reason)
    expect(table).to_contain_text("sam")
    page.click("text=Verify the hash chain")
    expect(page.locator("[data-testid=verify]")).to_contain_text("Chain intact")


def test_a_bad_reason_is_refused_in_the_browser(page, console):
    page.goto("/login")
    sign_in(page, "steward")
    rows, _ = steward.list_quarantine(console["store"])
    qid = rows[0]["id"]
    page.goto(f"/quarantine/{qid}")
    form = page.locator("form[action$='/reject']")
    form.locator("textarea[name=reason]").fill("<script>alert('x')</script>")
    form.locator("button:has-text('Reject')").click()
    expect_text = page.locator(".error")
    assert "markup" in expect_text.inner_text() and "Nothing changed." in expect_text.inner_text()
    assert steward.get_quarantine(console["store"], qid)["status"] == "open"


def test_a_viewer_sees_no_action_buttons_and_is_refused_by_the_action_endpoints(page, console):
    from playwright.sync_api import expect

    store = console["store"]
    rows, _ = steward.list_quarantine(store)
    qid = rows[0]["id"]
    page.goto("/login")
    sign_in(page, "viewer")
    page.goto("/quarantine")
    expect(page.locator("[data-testid=quarantine-table]")).to_be_visible()
    expect(page.locator("input[name=ids]")).to_have_count(0)
    expect(page.locator("button:has-text('Replay')")).to_have_count(0)
    page.goto(f"/quarantine/{qid}")
    expect(page.locator("[data-testid=failures]")).to_be_visible()
    expect(page.locator("[data-testid=actions]")).to_have_count(0)
    for label in ("Accept", "Reject", "Replay"):
        expect(page.locator(f"button:has-text('{label}')")).to_have_count(0)
    expect(page.locator("a[href='/users']")).to_have_count(0)

    token = page.locator("form[action='/logout'] input[name=csrf_token]").get_attribute("value")
    reason = {"reason": "a viewer should not decide", "csrf_token": token}
    posts = {
        f"/quarantine/{qid}/accept": reason,
        f"/quarantine/{qid}/reject": reason,
        f"/quarantine/{qid}/replay": {"csrf_token": token},
        "/quarantine/replay": {"ids": str(qid), "scope": "selected", "csrf_token": token},
        "/users": {"username": "mallory", "password": "long-enough-pw", "role": "admin", "csrf_token": token},
    }
    for path, form in posts.items():
        r = page.request.post(path, form=form, max_redirects=0)
        assert r.status == 403, (path, r.status)
        assert "needs the" in r.text()
    assert steward.get_quarantine(store, qid)["status"] == "open"
    assert "mallory" not in {u["username"] for u in steward.list_users(store)}


def test_signed_out_means_redirected_to_login(page, console):
    from playwright.sync_api import expect

    page.goto("/audit")
    expect(page).to_have_url(re.compile(r"/login\?next=/audit$"))
    sign_in(page, "admin")
    expect(page).to_have_url(re.compile(r"/audit$"))
    page.click("button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/login$"))
    for path in ("/", "/quarantine", "/users", "/trace"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.locator("[data-testid=whoami]")).to_have_count(0)
