"""Spreadsheet drops over SFTP, end to end against a real SFTP server (asyncssh) on loopback."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from drop_rows import CHINESE, COLUMNS, ENGLISH, ROWS, assert_the_two_shipments, write_csv
from openpyxl import Workbook

from connectors.config import SourceConfig
from connectors.errors import AuthError, ConfigError
from connectors.http import RetryPolicy
from connectors.registry import build_connector
from pipeline.sync import sync
from trace_store import drop_files

USER = "tracehub"
PASSWORD = "s3cret-drop-pass"
FAST = RetryPolicy(attempts=2, budget_seconds=5, initial_wait=0.01, max_wait=0.05)


class _Server(asyncssh.SSHServer):
    """Password or public key, for one user."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and password == PASSWORD


@contextmanager
def sftp_server(root: Path, client_key: asyncssh.SSHKey | None = None) -> Iterator[tuple[int, str]]:
    """An SFTP server on 127.0.0.1 serving `root`, in its own event loop thread: (port, its public host key)."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode()) if client_key else None

    async def listening() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_factory=_Server,
            server_host_keys=[host_key],
            authorized_client_keys=authorized,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)),
        )

    async def closing() -> None:  # in the loop's thread: asyncio servers are not thread safe
        server.close()
        await server.wait_closed()

    server = asyncio.run_coroutine_threadsafe(listening(), loop).result(10)
    try:
        port = server.sockets[0].getsockname()[1]
        yield port, host_key.export_public_key().decode().strip()
    finally:
        asyncio.run_coroutine_threadsafe(closing(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def sftp_source(port: int, host_key: str, **overrides: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "tpl_sftp",
            "kind": "drop",
            "base_url": f"sftp://127.0.0.1:{port}/outbox",
            "login": USER,
            "credentials": {"env": "TRACEHUB_TEST_SFTP_SECRET"},
            "entities": ["shipment"],
            "timezone": "Asia/Shanghai",
            "timeout_seconds": 5,
            "drop": {
                "settle_seconds": 0.2,
                "host_key": host_key,
                "shipment": {"files": ["*.csv", "*.xlsx"], "columns": COLUMNS},
            },
            **overrides,
        }
    )


def outbox(tmp_path: Path) -> Path:
    folder = tmp_path / "root" / "outbox"
    folder.mkdir(parents=True)
    return folder


def test_sftp_drop_end_to_end_with_a_password(tmp_path, store, monkeypatch):
    folder = outbox(tmp_path)
    write_csv(folder / "shipments-2026-11-02.csv", CHINESE, ROWS[:3], "gb18030")
    book = Workbook()
    book.active.append(ENGLISH)
    book.active.append(ROWS[3])
    book.save(folder / "shipments-2026-11-03.xlsx")
    (folder / "shipments-2026-11-04.csv.part").write_text("partial", encoding="utf-8")
    monkeypatch.setenv("TRACEHUB_TEST_SFTP_SECRET", PASSWORD)

    with sftp_server(tmp_path / "root") as (port, host_key):
        config = sftp_source(port, host_key)
        connector = build_connector(config, policy=FAST)
        assert connector.check() == f"drop tpl_sftp: sftp://127.0.0.1:{port}/outbox: 2 shipment file(s)"
        first = sync(config, "shipment", store, connector).as_dict()
        again = sync(config, "shipment", store, build_connector(config, policy=FAST)).as_dict()
        shutil.copy(folder / "shipments-2026-11-02.csv", folder / "resent.csv")
        copy = sync(config, "shipment", store, build_connector(config, policy=FAST)).as_dict()

    assert (first["pulled"], first["loaded"], first["quarantined"]) == (2, 2, 0)
    assert_the_two_shipments(store)
    assert again["pulled"] == 0 and copy["pulled"] == 0
    ledger = {f["name"]: f["status"] for f in drop_files.known(store, "tpl_sftp", "shipment")}
    assert ledger == {
        "shipments-2026-11-02.csv": "loaded",
        "shipments-2026-11-03.xlsx": "loaded",
        "resent.csv": "duplicate",
    }


def test_sftp_drop_with_a_private_key(tmp_path, store, monkeypatch):
    folder = outbox(tmp_path)
    write_csv(folder / "day.csv", ENGLISH, ROWS)
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    monkeypatch.setenv("TRACEHUB_TEST_SFTP_SECRET", client_key.export_private_key().decode())

    with sftp_server(tmp_path / "root", client_key) as (port, host_key):
        config = sftp_source(port, host_key)
        result = sync(config, "shipment", store, build_connector(config, policy=FAST)).as_dict()

    assert result["loaded"] == 2
    assert_the_two_shipments(store)


def test_sftp_refuses_a_server_whose_host_key_is_not_the_known_one(tmp_path, monkeypatch):
    outbox(tmp_path)
    monkeypatch.setenv("TRACEHUB_TEST_SFTP_SECRET", PASSWORD)
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()

    with (
        sftp_server(tmp_path / "root") as (port, _),
        pytest.raises(AuthError, match=r"host key is not drop\.host_key") as raised,
    ):
        build_connector(sftp_source(port, impostor), policy=FAST).check()
    assert PASSWORD not in str(raised.value)


def test_sftp_wrong_password_fails_at_once_without_the_secret(tmp_path, monkeypatch):
    outbox(tmp_path)
    monkeypatch.setenv("TRACEHUB_TEST_SFTP_SECRET", "not-the-password")

    with (
        sftp_server(tmp_path / "root") as (port, host_key),
        pytest.raises(AuthError, match="refused user and credential") as raised,
    ):
        build_connector(sftp_source(port, host_key), policy=FAST).check()
    assert "not-the-password" not in str(raised.value)
    assert "environment variable TRACEHUB_TEST_SFTP_SECRET" in str(raised.value)


def test_sftp_login_and_key_from_an_airflow_connection(tmp_path, store, monkeypatch):
    folder = outbox(tmp_path)
    write_csv(folder / "day.csv", CHINESE, ROWS, "utf-8-sig")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    connection = {"conn_type": "sftp", "login": USER, "password": client_key.export_private_key().decode()}
    monkeypatch.setenv("AIRFLOW_CONN_TPL_SFTP", json.dumps(connection))

    with sftp_server(tmp_path / "root", client_key) as (port, host_key):
        config = sftp_source(port, host_key, login=None, credentials={"airflow_conn": "tpl_sftp"})
        result = sync(config, "shipment", store, build_connector(config, policy=FAST)).as_dict()

    assert result["loaded"] == 2
    assert_the_two_shipments(store)


def test_sftp_needs_a_host_key_and_a_login(monkeypatch):
    monkeypatch.setenv("TRACEHUB_TEST_SFTP_SECRET", PASSWORD)
    no_key = sftp_source(22, "ssh-ed25519 AAAA")
    no_key.drop.host_key = None  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"drop\.host_key: the server's public host key is required"):
        build_connector(no_key)
    with pytest.raises(ConfigError, match="login: the SFTP user name is required"):
        build_connector(sftp_source(22, "ssh-ed25519 AAAA", login=None))
