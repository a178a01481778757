"""`tracehub docs`: where the GX Data Docs of the latest validations are."""

from __future__ import annotations

import typer

from tracehub.cli.common import app, console, err


@app.command()
def docs() -> None:
    """Print the path and file URL of the Data Docs index (written after each sync and replay)."""
    from pipeline import settings

    index = settings.data_docs_dir() / "index.html"
    if not index.is_file():
        err.print(f"no Data Docs yet at {index}: they are written after a sync or a replay validates records")
        raise typer.Exit(1)
    console.print(str(index))
    console.print(index.as_uri())
