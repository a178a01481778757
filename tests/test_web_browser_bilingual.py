"""The console's pages in both languages in a real browser (Debian's Chromium via Playwright):
overview, trace, audit, users, key figures and sign-in, each screenshotted per language to
test-artifacts/<page>.<lang>.png; tables that never scroll sideways and carry human headers; and
Chinese device names drawn with a CJK font (the platform font Chromium used, read over CDP), not
as boxes."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from browsing import ARTIFACTS
from webconsole import USERS, password, served, synced_console

from trace_store.schema import device, trace_edge
from traceability.drill import DrillStep, record_drill

pytestmark = pytest.mark.slow  # the browser tier: `make test-all`

LANGUAGES = {"en": "en-GB,en;q=0.9", "zh": "zh-CN,zh;q=0.9"}
TITLES = {
    "overview": {"en": "Overview", "zh": "概览"},
    "trace": {"en": "Trace explorer", "zh": "追溯查询"},
    "audit": {"en": "Audit log", "zh": "审计日志"},
    "users": {"en": "Users", "zh": "用户"},
    "kpi": {"en": "Key figures", "zh": "关键指标"},
    "login": {"en": "Sign in", "zh": "登录"},
}


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict[str, Any]]:
    with (
        synced_console(tmp_path_factory.mktemp("bilingual"), "bilingual-test-secret-" * 3) as (app, store),
        served(app) as url,
    ):
        traced = _traced_lot(store)
        steps = [DrillStep("impact", 4.2), DrillStep("consignees", 4.2)]
        drilled = {"gtin": traced["gtin"], "lot": traced["lot"], "seed": None, "consignees": 3, "shipments": 3}
        record_drill(
            store,
            started_at=datetime.now(UTC),
            actor="qa",
            seconds_to_consignees=8.4,
            steps=steps,
            reports=[],
            **drilled,
        )
        yield {"url": url, "store": store, "traced": traced}


def _traced_lot(store: Any) -> dict[str, str]:
    """A shipped lot of a device that has a Chinese name, and that name."""
    e, d = trace_edge.c, device.c
    with store.connect() as conn:
        row = conn.execute(
            sa.select(e.gtin, e.lot, d.name_zh)
            .join(device, device.c.gtin == e.gtin)
            .where(e.lot.is_not(None), e.evidence == "shipped", d.name_zh.is_not(None))
            .order_by(e.gtin, e.lot)
        ).first()
    assert row is not None, "the world ships a lot of a device with a Chinese name"
    return {"gtin": row.gtin, "lot": row.lot, "name_zh": row.name_zh}


def _open(browser: Any, console: dict[str, Any], language: str) -> Any:
    context = browser.new_context(
        base_url=console["url"],
        viewport={"width": 1280, "height": 900},
        extra_http_headers={"Accept-Language": LANGUAGES[language]},
    )
    context.set_default_timeout(15_000)
    return context


def _shoot(page: Any, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.{language}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def _fits(page: Any) -> None:
    """Nothing scrolls sideways: neither the page nor any table is wider than its box."""
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    too_wide = page.evaluate(
        "[...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length"
    )
    assert too_wide == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_both_languages(browser, console, language: str) -> None:
    from playwright.sync_api import expect

    context = _open(browser, console, language)
    page = context.new_page()
    traced = console["traced"]
    try:
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh" else "en")
        expect(page.locator("h1")).to_have_text(TITLES["login"][language])
        _shoot(page, "login", language)
        name = USERS["admin"]
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", password(name))
        page.click("form.card button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")

        trace = f"/trace?{urlencode({'gtin': traced['gtin'], 'lot': traced['lot']})}"
        for key, path in (
            ("overview", "/"),
            ("trace", trace),
            ("audit", "/audit"),
            ("users", "/users"),
            ("kpi", "/kpi"),
        ):
            page.goto(path)
            expect(page.locator("h1")).to_have_text(TITLES[key][language])
            _fits(page)
            for header in page.locator("th").all_inner_texts():
                assert "_" not in header, f"{key}: snake_case header {header!r}"
            _shoot(page, key, language)

        page.set_viewport_size({"width": 820, "height": 900})
        for path in (trace, "/audit"):
            page.goto(path)
            _fits(page)  # a narrow window too: cells wrap, details fold away
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(trace)
        names = page.locator("[data-testid=forward-consignees] [data-testid=device-name]")
        assert names.count() >= 1
        if language == "zh":
            expect(names.first).to_have_text(traced["name_zh"])
        else:
            expect(page.locator("[data-testid=forward-consignees] .device-name-other").first).to_have_text(
                traced["name_zh"]
            )
        expect(page.locator("[data-testid=forward-edges] details").first).to_be_attached()
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]", page.locator("[data-testid=forward-edges]").inner_text())
        assert not re.search(r"\d\d:\d\d:\d\d\.\d+", page.content()), "no raw microsecond times"

        page.goto("/kpi")
        drills = page.locator("[data-testid=kpi-drills]")
        expect(drills).to_contain_text(traced["lot"])
        expect(drills).to_contain_text("8.4 秒" if language == "zh" else "8.4 s")
        if language == "zh":
            expect(drills.locator("[data-testid=device-name]").first).to_have_text(traced["name_zh"])
        expect(page.locator("a[href='/kpi']")).to_have_count(1)
    finally:
        context.close()


def test_chinese_names_are_drawn_with_a_cjk_font(browser, console) -> None:
    """fc-list knows a CJK font, and Chromium draws the Chinese device name with it (not boxes)."""
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert "CJK" in fonts, "no CJK font: install Debian's fonts-noto-cjk"
    context = _open(browser, console, "zh")
    page = context.new_page()
    traced = console["traced"]
    try:
        page.goto("/login")
        name = USERS["viewer"]
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", password(name))
        page.click("form.card button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")
        page.goto(f"/trace?{urlencode({'gtin': traced['gtin'], 'lot': traced['lot']})}")
        cdp = context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send(
            "DOM.querySelector", {"nodeId": root, "selector": "[data-testid=traced] [data-testid=device-name]"}
        )
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        assert any("CJK" in f["familyName"] for f in used), used
        _shoot(page, "trace-device-name", "zh")
    finally:
        context.close()
