"""Every error of the `tracehub` command is one line on stderr saying what and what to do: no traceback."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from commands import tracehub

PASSWORD = "s3cret-Store-pw"


def one_error_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with exit code 1 and exactly one stderr line holding `words`."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [["stats"], ["export", "shipment"], ["db", "upgrade"]], ids=" ".join)
def test_an_unreachable_store_is_one_line_with_the_url_but_not_its_password(tmp_path: Path, command: list[str]) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://tracehub:{PASSWORD}@127.0.0.1:{port}/tracehub"
    done = tracehub(*command, env={"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path)})
    line = one_error_line(
        done,
        f"cannot use the trace store at postgresql+psycopg://tracehub:***@127.0.0.1:{port}/tracehub: ",
        "Connection refused",
        "check TRACEHUB_DB_URL",
    )
    assert PASSWORD not in done.stderr + done.stdout, line


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite:///{tmp}/a-file/tracehub.db", ["cannot use the trace store at sqlite:///", "a-file"]),
        ("postgresql+psycopg//nohost", ["TRACEHUB_DB_URL is not a database URL"]),
        ("nosuchdb://u@h/d", ["TRACEHUB_DB_URL is not a database URL", "nosuchdb"]),
    ],
    ids=["sqlite folder is a file", "no scheme", "unknown dialect"],
)
def test_a_store_url_that_cannot_be_opened_is_one_line(tmp_path: Path, url: str, words: list[str]) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    done = tracehub("stats", env={"TRACEHUB_DB_URL": url.format(tmp=tmp_path), "TRACEHUB_HOME": str(tmp_path)})
    one_error_line(done, *words)


@pytest.mark.parametrize("command", ["check", "sync"])
def test_a_malformed_base_url_is_one_line_naming_source_and_field(tmp_path: Path, command: str) -> None:
    sources = tmp_path / "sources.yaml"
    entry = {"name": "shop", "kind": "shopify", "base_url": "http://", "entities": ["order"]}
    sources.write_text(yaml.safe_dump({"sources": [{**entry, "credentials": {"env": "TRACEHUB_TEST_SHOP_TOKEN"}}]}))
    env = {"TRACEHUB_HOME": str(tmp_path), "TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    done = tracehub(command, "shop", "--config", str(sources), env=env)
    one_error_line(done, f"sources file {sources}: source 'shop' field base_url: 'http://' has no host")


OUTPUT_COMMANDS = {
    "export -o": ["export", "shipment", "-o"],
    "export epcis -o": ["export", "epcis", "-o"],
    "reconcile --csv": ["reconcile", "--csv"],
    "recall show -o": ["recall", "show", "1", "--format", "html", "-o"],
    "recall create -o": ["recall", "create", "--gtin", "09506000134352", "--lot", "L1", "--reason", "test", "-o"],
}
UNWRITABLE = {
    "under /proc": ("/proc/tracehub-x.out", "No such file or directory"),
    "missing folder": ("{tmp}/no/such/folder/x.out", "No such file or directory"),
    "a folder": ("{tmp}", "Is a directory"),
}


@pytest.mark.parametrize("where", list(UNWRITABLE))
@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_an_unwritable_output_is_one_line_naming_path_and_reason(tmp_path: Path, command: str, where: str) -> None:
    path, reason = UNWRITABLE[where]
    path = path.format(tmp=tmp_path)
    env = {"TRACEHUB_HOME": str(tmp_path), "TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    done = tracehub(*OUTPUT_COMMANDS[command], path, env=env)
    one_error_line(done, f"cannot write {path}: {reason}; ")
    if command == "recall create -o":  # refused before the recall was recorded: nothing to create twice
        recalls = tracehub("recall", "list", "--json", env=env)
        assert recalls.returncode == 0 and json.loads(recalls.stdout) == [], recalls.stderr


def test_a_writable_output_is_written_and_an_existing_one_replaced(tmp_path: Path) -> None:
    env = {"TRACEHUB_HOME": str(tmp_path), "TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    out = tmp_path / "rows.csv"
    out.write_text("old content\n")
    done = tracehub("reconcile", "--csv", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("order_number,item,")
    fresh = tmp_path / "shipments.jsonl"
    done = tracehub("export", "shipment", "-o", str(fresh), env=env)
    assert done.returncode == 0 and fresh.exists() and fresh.read_text() == "", done.stderr


def test_a_store_migrated_by_a_newer_tracehub_is_one_line_and_left_as_it_is(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from trace_store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'tracehub.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    done = tracehub("stats", env={"TRACEHUB_DB_URL": url, "TRACEHUB_HOME": str(tmp_path)})
    one_error_line(done, "schema revision '9999_from_the_future'", "does not know", "a newer Tracehub migrated it")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "9999_from_the_future"
    engine.dispose()
