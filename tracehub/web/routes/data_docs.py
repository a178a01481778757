"""The GX Data Docs site the quality checks build, served inside the console."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from tracehub.web import i18n
from tracehub.web.auth import PageError, Viewer
from tracehub.web.render import render

router = APIRouter()
MAX_PATH = 512


@router.get("/data-docs")
def data_docs_home(request: Request, user: Viewer) -> Response:
    folder: Path = request.app.state.data_docs
    return render(request, "data_docs.html", present=(folder / "index.html").is_file(), folder=str(folder))


@router.get("/data-docs/{path:path}")
def data_docs_file(request: Request, user: Viewer, path: str) -> Response:
    """A file of the Data Docs site; nothing outside its folder is reachable."""
    folder: Path = request.app.state.data_docs.resolve()
    message = i18n.gettext(request, "There is no Data Docs file %(path)s; a sync or a replay (re)builds them.")
    missing = PageError(404, message % {"path": repr(path[:200])})
    if len(path) > MAX_PATH or any(ord(ch) < 32 for ch in path):
        raise missing
    try:
        target = (folder / (path or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        found = target.is_relative_to(folder) and target.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise missing
    return FileResponse(target)
