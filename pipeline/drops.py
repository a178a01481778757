"""Spreadsheet drops in the pipeline: the file ledger around a sync, and failures located in the file.

A drop connector (connectors/drops.py) asks the trace store's file ledger which contents it has
read; after every batch of a run has landed, `settle` records what became of each file, so a
file is recorded only once its rows are in the store (a crash before re-reads it, and its
unchanged rows land nothing). A rejected file fails the run with one line per file naming it
and the problem; it stays in the ledger with that reason and is not read again unless it changes.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.base import Connector
from connectors.drops import DropConnector, KnownFile
from connectors.errors import PlatformError
from data_dictionary.failures import RuleFailure
from trace_store import drop_files
from trace_store.store import Store

_ROW_FIELD = re.compile(r"^(?:\$\.)?(?:rows|lines)\[(\d+)\]\.(\w+)")


class StoreLedger:
    """The connector's view of the store's `drop_file` ledger."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def known_files(self, source: str, entity: str) -> list[KnownFile]:
        return [
            KnownFile(f["name"], f["sha256"], f["size"], f["mtime"])
            for f in drop_files.known(self.store, source, entity)
        ]


def attach(connector: Connector, store: Store) -> None:
    """Give a drop connector the store's ledger (other connectors are left alone)."""
    if isinstance(connector, DropConnector):
        connector.ledger = StoreLedger(store)
        connector.outcomes.clear()


def settle(connector: Connector, store: Store, run_id: int) -> None:
    """Record the files a drop connector read in this run; PlatformError naming every rejected file."""
    if not isinstance(connector, DropConnector):
        return
    outcomes, connector.outcomes = connector.outcomes, []
    fields = ("entity", "name", "sha256", "size", "mtime", "status", "records", "error")
    drop_files.record(store, connector.source, run_id, [{f: getattr(o, f) for f in fields} for o in outcomes])
    rejected = [o.error or o.name for o in outcomes if o.status == "rejected"]
    if rejected:
        message = f"drop {connector.source}: {len(rejected)} file(s) rejected, nothing of them loaded: " + "; ".join(
            rejected
        )
        raise PlatformError(connector.source, message, status=None, platform_message=message)


def locate(payload: dict[str, Any], failures: list[RuleFailure]) -> list[RuleFailure]:
    """Failures of a drop record, their messages naming the file, row, column and rule; others as they are."""
    rows, name = payload.get("rows"), payload.get("file")
    if not failures or not isinstance(rows, list) or not rows or not isinstance(name, str) or "sha256" not in payload:
        return failures
    columns = payload.get("columns")
    headers: dict[str, Any] = columns if isinstance(columns, dict) else {}
    located = []
    for failure in failures:
        match = _ROW_FIELD.match(failure.field)
        index, column = (int(match[1]), match[2]) if match else (0, failure.field.split(".")[-1].split("[")[0])
        row = rows[index] if index < len(rows) and isinstance(rows[index], dict) else rows[0]
        header = headers.get(column)
        where = f"column {header!r} ({column})" if header else f"field {column or '(record)'}"
        message = f"file {name} row {row.get('row', '?')} {where}, rule {failure.rule}: {failure.message}"
        located.append(failure.model_copy(update={"message": message}))
    return located
