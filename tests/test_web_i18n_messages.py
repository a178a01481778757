"""Text the console makes in Python (error pages, refusals, sign-in errors, flashes) comes in the
reader's language, with the values still escaped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webconsole import csrf, password

import steward
from trace_store.store import Store
from tracehub.web import create_app

SECRET = "i18n-messages-key-" * 4
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'tracehub.db'}"
    store = Store.open(url)
    store.upgrade()
    for name, role in (("vic", "viewer"), ("ada", "admin")):
        steward.add_user(store, name, password(name), role)
    store.close()
    application = create_app(url, SECRET)
    yield application
    application.state.store.close()


def _signed_in(app: Any, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False, headers=ZH)
    r = client.post("/login", data={"username": name, "password": password(name), "csrf_token": csrf(client)})
    assert r.status_code == 303, r.text
    return client


def test_errors_and_refusals_in_chinese(app) -> None:
    anonymous = TestClient(app, follow_redirects=False, headers=ZH)
    r = anonymous.post("/login", data={"username": "nobody", "password": "wrong", "csrf_token": csrf(anonymous)})
    assert r.status_code == 401 and "用户不存在、密码错误或账户已停用。" in r.text
    r = anonymous.post("/login", data={"username": "vic", "password": "x"})
    assert r.status_code == 403 and "此表单没有安全令牌" in r.text

    vic = _signed_in(app, "vic")
    r = vic.get("/no-such-page")
    assert r.status_code == 404 and "没有这个页面。" in r.text and "未找到 (404)" in r.text
    r = vic.get("/users")
    assert r.status_code == 403 and "此操作需要管理员角色；您当前以 vic 登录，其角色为查看者。" in r.text
    r = vic.get("/trace", params={"gtin": "<b>123", "lot": "L1"})
    assert r.status_code == 400 and "必须为 14 位数字" in r.text and "<b>123" not in r.text
    r = vic.get("/recalls/99999999999999999999")
    assert r.status_code == 400 and "输入无效" in r.text


def test_user_admin_flashes_in_chinese(app) -> None:
    ada = _signed_in(app, "ada")
    token = csrf(ada)
    r = ada.post(
        "/users", data={"username": "lin<i>", "password": "pw-123456789", "role": "steward", "csrf_token": token}
    )
    assert r.status_code == 400 and "未做任何更改。" in r.text and "lin<i>" not in r.text
    r = ada.post("/users", data={"username": "lin", "password": "pw-123456789", "role": "steward", "csrf_token": token})
    assert r.status_code == 303
    assert "已添加用户 lin，角色为数据管理员。" in ada.get("/users").text
    r = ada.post("/users/ada/disable", data={"csrf_token": token})
    assert r.status_code == 400 and "您不能停用自己的账户" in r.text
    r = ada.post("/users/vic/disable", data={"csrf_token": token})
    assert r.status_code == 303 and "已停用用户 vic。" in ada.get("/users").text
