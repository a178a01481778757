"""Where a drop source's files wait: a local folder here, an SFTP folder in `connectors/sftp.py`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Entry:
    """A file as the folder lists it: the name, size and modification time (epoch seconds) settle is judged by."""

    name: str
    size: int
    mtime: float


class Folder(Protocol):
    def describe(self) -> str:
        """Where the folder is, for messages."""

    def entries(self) -> list[Entry]:
        """The regular files in the folder (not its subfolders)."""

    def fetch(self, entry: Entry) -> AbstractContextManager[Path]:
        """A local path holding the file's content while the context lasts."""


class LocalFolder:
    """A folder on this machine (or a mounted share); files are read in place."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def entries(self) -> list[Entry]:
        found = []
        for item in self.path.iterdir():
            if item.is_file():
                info = item.stat()
                found.append(Entry(item.name, info.st_size, info.st_mtime))
        return found

    @contextmanager
    def fetch(self, entry: Entry) -> Iterator[Path]:
        yield self.path / entry.name
