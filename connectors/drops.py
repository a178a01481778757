"""Spreadsheet drops: CSV and XLSX files a seller or 3PL leaves in a folder, locally or on SFTP.

How a file is read, once:

- **Settled only.** Dotfiles, `*.part`, `*.tmp`, `*.crdownload` and Excel's `~$` lock files are
  never read. The folder is listed twice, `drop.settle_seconds` apart; a file is read only when
  its size and modification time are the same in both listings (a file still being written grows
  or is touched in between). Writers that can should still upload under a temporary name and
  rename when done.
- **Fingerprinted.** The sha256 of a file's content is its identity. The trace store's file
  ledger (`FileLedger`) says which contents of this source and entity were already read: the
  same content under another name is skipped (recorded as a duplicate), a changed file under the
  same name is a new version and is read. A file listed again with the name, size and mtime of a
  ledger entry is skipped without downloading it.
- **Whole or not at all.** `connectors.spreadsheets.check` walks a file before any row is
  yielded; a file that cannot be read (encoding, no header, a required column missing, the rows
  of one record apart) is rejected with one line naming the file, and nothing of it loads.
- **Every row traceable.** A record is one row, or the adjacent rows of one shipment or order
  (`group_by`). Its external id is `<file>:<first row>`; its payload holds the file name, the
  content's sha256, the canonical-column -> header names of the file and the rows, each with its
  row number. Quarantine messages name the file, row and column (pipeline/drops.py).

The connector knows nothing of the store: it reports what it read in `outcomes`, and the
pipeline records them in the ledger after the rows have landed (a crash in between re-reads the
file, whose unchanged rows then land nothing).
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from connectors.base import RawRecord
from connectors.config import Secret, SourceConfig
from connectors.drop_settings import DropSettings, drop_folder
from connectors.errors import ConfigError
from connectors.folders import Entry, Folder, LocalFolder
from connectors.http import RetryPolicy
from connectors.spreadsheets import FileProblem, Sheet, check, group_by, group_key

log = logging.getLogger(__name__)

IGNORED = (".*", "*.part", "*.tmp", "*.crdownload", "~$*")
"""Names a writer uses while a file is incomplete (and hidden files): never read."""

Status = Literal["loaded", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class DroppedFile:
    """What became of one file: loaded (its rows went to the pipeline), a duplicate, or rejected."""

    entity: str
    name: str
    sha256: str
    size: int
    mtime: float
    status: Status
    records: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class KnownFile:
    """A ledger entry as the connector needs it."""

    name: str
    sha256: str
    size: int
    mtime: float


class FileLedger(Protocol):
    def known_files(self, source: str, entity: str) -> list[KnownFile]:
        """Every file of `source`/`entity` recorded so far."""


class DropConnector:
    """Reads the settled, not yet read files of a drop folder as pages of raw records."""

    kind = "drop"

    def __init__(self, config: SourceConfig, secret: Secret, *, policy: RetryPolicy | None = None) -> None:
        if config.drop is None:
            raise ConfigError(f"source {config.name!r}: kind drop needs a 'drop' section")
        self.source = config.name
        self.config = config
        self.settings: DropSettings = config.drop
        self.ledger: FileLedger | None = None
        """Set by the pipeline before `pull`; without one every settled file is read."""
        self.outcomes: list[DroppedFile] = []
        self.folder = self._folder(config, secret, policy or RetryPolicy())

    def _folder(self, config: SourceConfig, secret: Secret, policy: RetryPolicy) -> Folder:
        if config.base_url.startswith("file:"):
            return LocalFolder(Path(str(drop_folder(config.base_url))))
        from connectors.sftp import SftpFolder  # asyncssh only for SFTP sources

        return SftpFolder(
            config.name,
            config.base_url,
            secret.login,
            secret.token,
            self.settings.host_key,
            config.timeout_seconds,
            policy,
            config.credential_origin(),
        )

    def check(self) -> str:
        counts = {e: len(self._matching(self._list(), e)) for e in self.config.entities}
        files = ", ".join(f"{n} {e} file(s)" for e, n in counts.items())
        return f"drop {self.source}: {self.folder.describe()}: {files}"

    def ordered(self, entity: str) -> bool:
        return False  # files are the increment; the cursor only records when the last one landed

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Pages of records from every settled file not read before (the window is not used: files are)."""
        self.settings.entity(entity)  # an entity without settings fails before anything is listed
        known = self.ledger.known_files(self.source, entity) if self.ledger else []
        listed = {(k.name, k.size, k.mtime) for k in known}
        by_hash = {k.sha256: k.name for k in known}
        for entry in self._settled(entity, listed):
            with self.folder.fetch(entry) as path:
                sha = fingerprint(path)
                if sha in by_hash:
                    log.info(
                        "drop %s: %s has the content of %s, read before; skipped", self.source, entry.name, by_hash[sha]
                    )
                    self._outcome(entity, entry, sha, "duplicate", error=f"same content as {by_hash[sha]}")
                    continue
                by_hash[sha] = entry.name
                try:
                    sheet = check(path, entity, self.settings, self.config.timezone)
                except FileProblem as exc:
                    message = f"file {entry.name} ({entity}): {exc}"
                    log.error("drop %s: %s", self.source, message)
                    self._outcome(entity, entry, sha, "rejected", error=message)
                    continue
                count = 0
                for page in _pages(self._records(sheet, entry, sha), self.config.page_size):
                    count += len(page)
                    yield page
                self._outcome(entity, entry, sha, "loaded", records=count)

    def _records(self, sheet: Sheet, entry: Entry, sha: str) -> Iterator[RawRecord]:
        """One record per row, or per run of adjacent rows sharing the entity's key."""
        columns = group_by(sheet.entity, self.settings.entity(sheet.entity), sheet.header)
        placed = datetime.fromtimestamp(entry.mtime, UTC)
        group: list[dict[str, Any]] = []
        current: tuple[Any, ...] | None = None
        for _, row in sheet.rows():
            key = group_key(row, columns)
            if group and (key is None or key != current):
                yield self._record(entry, sha, sheet, group, placed)
                group = []
            group.append(row)
            current = key
        if group:
            yield self._record(entry, sha, sheet, group, placed)

    @staticmethod
    def _record(entry: Entry, sha: str, sheet: Sheet, rows: list[dict[str, Any]], placed: datetime) -> RawRecord:
        payload = {"file": entry.name, "sha256": sha, "columns": sheet.header.names, "rows": rows}
        return RawRecord(f"{entry.name}:{rows[0]['row']}", placed, payload)

    def _outcome(self, entity: str, entry: Entry, sha: str, status: Status, **more: Any) -> None:
        self.outcomes.append(DroppedFile(entity, entry.name, sha, entry.size, entry.mtime, status, **more))

    def _list(self) -> list[Entry]:
        try:
            return self.folder.entries()
        except FileNotFoundError:
            raise ConfigError(
                f"source {self.source!r} field base_url: folder {self.folder.describe()} does not exist"
            ) from None
        except NotADirectoryError:
            raise ConfigError(
                f"source {self.source!r} field base_url: {self.folder.describe()} is not a folder"
            ) from None

    def _matching(self, entries: list[Entry], entity: str) -> list[Entry]:
        patterns = self.settings.entity(entity).files
        return [
            e
            for e in entries
            if not any(fnmatch.fnmatch(e.name, p) for p in IGNORED)
            and any(fnmatch.fnmatch(e.name, p) for p in patterns)
        ]

    def _settled(self, entity: str, listed: set[tuple[str, int, float]]) -> list[Entry]:
        """Files not in the ledger whose size and mtime held still across the settle interval, oldest first."""
        first = [e for e in self._matching(self._list(), entity) if (e.name, e.size, e.mtime) not in listed]
        if not first:
            return []
        if self.settings.settle_seconds:
            time.sleep(self.settings.settle_seconds)
        again = set(self._matching(self._list(), entity))
        settled = [e for e in first if e in again]
        for entry in first:
            if entry not in again:
                log.info("drop %s: %s is still being written; read at a later run", self.source, entry.name)
        return sorted(settled, key=lambda e: (e.mtime, e.name))


def fingerprint(path: Path) -> str:
    """sha256 of the file's content, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()


def _pages(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    page: list[RawRecord] = []
    for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page
