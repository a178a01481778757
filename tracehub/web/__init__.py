"""The steward web console: server-rendered pages over the trace store (`tracehub serve`)."""

from __future__ import annotations

from tracehub.web.app import create_app

__all__ = ["create_app"]
