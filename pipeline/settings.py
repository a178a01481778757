"""Where Tracehub keeps its things: one home folder, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def home() -> Path:
    """The working folder (`TRACEHUB_HOME`, default `.tracehub` in the current directory)."""
    return Path(os.environ.get("TRACEHUB_HOME", ".tracehub")).resolve()


def db_url() -> str:
    """The trace store: `TRACEHUB_DB_URL`, else SQLite at `<home>/tracehub.db`."""
    return os.environ.get("TRACEHUB_DB_URL") or f"sqlite:///{home() / 'tracehub.db'}"


def sources_path() -> Path:
    """The sources file: `TRACEHUB_SOURCES`, else `config/sources.yaml`."""
    return Path(os.environ.get("TRACEHUB_SOURCES", "config/sources.yaml")).resolve()


def data_docs_dir() -> Path:
    """Where GX Data Docs are written and served from: `<home>/data_docs`."""
    return home() / "data_docs"


def timezone() -> ZoneInfo:
    """The zone people read times in (`TRACEHUB_TIMEZONE`, an IANA name; default UTC). Stored times stay UTC."""
    name = os.environ.get("TRACEHUB_TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as unknown:
        problem = f"TRACEHUB_TIMEZONE={name!r} is not an IANA time zone name (such as Asia/Shanghai)"
        raise ValueError(problem) from unknown
