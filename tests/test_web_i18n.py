"""The console in Chinese and English: the browser's Accept-Language, a user's stored choice, the
catalogs' completeness, and times shown in the store's configured zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient
from webconsole import csrf, password

import steward
from trace_store import queries
from trace_store.schema import device
from trace_store.store import Store
from tracehub.web import create_app, i18n
from tracehub.web.render import PAGES

SECRET = "i18n-secret-key-" * 4
PROVENANCE = {"source_updated_at": datetime(2026, 11, 1, tzinfo=UTC)}
WEB = Path(i18n.__file__).parent


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Store]]:
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'tracehub.db'}"
    store = Store.open(url)
    store.upgrade()
    steward.add_user(store, "lin", password("lin"), "steward")
    app = create_app(url, SECRET)
    try:
        yield app, store
    finally:
        app.state.store.close()
        store.close()


def _sign_in(client: TestClient, name: str) -> None:
    r = client.post("/login", data={"username": name, "password": password(name), "csrf_token": csrf(client)})
    assert r.status_code == 303, r.text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-TW", "zh"),
        ("zh-Hans-CN", "zh"),
        ("en;q=0.1, zh;q=0.9", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("fr, zh;q=0.5", "zh"),
        ("de", None),
        ("zh;q=0", None),
        ("", None),
    ],
)
def test_accept_language_picks_one_of_ours(header: str, expected: str | None) -> None:
    assert i18n.accepted(header) == expected


def test_the_browser_language_decides_until_the_user_chooses(console) -> None:
    app, store = console
    chinese = TestClient(app, follow_redirects=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = chinese.get("/login").text
    assert '<html lang="zh-Hans">' in page and "Tracehub 控制台" in page
    _sign_in(chinese, "lin")
    overview = chinese.get("/").text
    assert ">召回</a>" in overview and ">退出登录</button>" in overview and "lin · 数据管理员" in overview

    english = TestClient(app, follow_redirects=False, headers={"Accept-Language": "en-GB"})
    assert "· Tracehub console</title>" in english.get("/login").text
    _sign_in(english, "lin")
    r = english.post("/language", data={"language": "zh", "next": "/recalls", "csrf_token": csrf(english)})
    assert r.status_code == 303 and r.headers["location"] == "/recalls"
    assert steward.get_user(store, "lin")["language"] == "zh"

    elsewhere = TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"})
    _sign_in(elsewhere, "lin")
    assert ">召回</a>" in elsewhere.get("/").text, "the user's choice follows them to another browser"


def test_an_unknown_language_or_an_outside_target_is_refused(console) -> None:
    app, _ = console
    client = TestClient(app, follow_redirects=False)
    r = client.post("/language", data={"language": "<script>", "csrf_token": csrf(client)})
    assert r.status_code == 400 and "<script>" not in r.text
    r = client.post("/language", data={"language": "zh", "next": "//evil.example/", "csrf_token": csrf(client)})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.post("/language", data={"language": "zh"}).status_code == 403, "CSRF token required"


def test_every_console_text_has_a_chinese_translation() -> None:
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    in_templates = extract_from_dir(
        str(WEB / "templates"), method_map=[("**.html", "jinja2.ext:babel_extract")], options_map=options
    )
    in_python = extract_from_dir(str(WEB), method_map=[("**.py", "python")], keywords={"gettext": (2,)})
    used = {message for _, _, message, _, _ in [*in_templates, *in_python] if isinstance(message, str)}
    assert {"Recalls", "Sign out"} <= used, "the extraction sees the layout's texts"
    chinese = i18n.translations("zh")
    missing = sorted(m for m in used if chinese.gettext(m) == m)
    assert not missing, f"texts without a Chinese translation in tracehub/web/locale/zh/*.po: {missing}"


def test_times_are_shown_in_the_configured_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    when = PAGES["en"].env.filters["when"]
    moment = datetime(2026, 11, 30, 6, 25, 36, 123456, tzinfo=UTC)
    monkeypatch.setenv("TRACEHUB_TIMEZONE", "Asia/Shanghai")
    assert when(moment) == "2026-11-30 14:25 CST"
    assert when("2026-11-30T06:25:36.123456+00:00", seconds=True) == "2026-11-30 14:25:36 CST"
    monkeypatch.delenv("TRACEHUB_TIMEZONE")
    assert when(moment) == "2026-11-30 06:25 UTC" and when(None) == ""


def test_a_misspelt_zone_stops_the_console_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEHUB_TIMEZONE", "Asia/Shangai")
    with pytest.raises(ValueError, match="TRACEHUB_TIMEZONE='Asia/Shangai' is not an IANA time zone"):
        create_app(f"sqlite:///{tmp_path / 'x.db'}", SECRET)


def test_a_device_is_named_in_both_languages_reader_first(console) -> None:
    _, store = console
    with store.transaction() as conn:
        conn.execute(
            device.insert(),
            [
                {
                    "gtin": "09506000134352",
                    "source": "erp",
                    "name_en": "Suture kit <b>",
                    "name_zh": "缝合包",
                    "tracking": "lot",
                    **PROVENANCE,
                },
                {
                    "gtin": "09506000134369",
                    "source": "erp",
                    "name_en": "Gauze",
                    "name_zh": None,
                    "tracking": "lot",
                    **PROVENANCE,
                },
            ],
        )
    names = queries.device_names(store, ["09506000134352", "09506000134369", "00000000000000", None])
    assert set(names) == {"09506000134352", "09506000134369"}
    shown = '{% from "_device.html" import device %}{{ device(g, names.get(g)) }}'
    for language, first, second in (("en", "Suture kit &lt;b&gt;", "缝合包"), ("zh", "缝合包", "Suture kit &lt;b&gt;")):
        html = PAGES[language].env.from_string(shown).render(g="09506000134352", names=names)
        assert html.index(first) < html.index(second) and "<b>" not in html
    gauze = PAGES["zh"].env.from_string(shown).render(g="09506000134369", names=names)
    assert "Gauze" in gauze and "muted" not in gauze, "a missing Chinese name falls back to the English one"
