"""`tracehub serve`: the steward web console."""

from __future__ import annotations

from typing import Annotated

import typer

from tracehub.cli.common import app, console, err, redacted_store_url


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1 unless behind a proxy).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the web console: quarantine review, trace explorer, audit log, users."""
    import uvicorn

    import steward
    from tracehub.web import create_app

    web = create_app()
    console.print(f"Tracehub console on [bold]http://{host}:{port}/[/] (store {redacted_store_url()}); Ctrl+C stops it")
    if not steward.list_users(web.state.store):
        err.print("[yellow]no console users yet:[/] create the first with `tracehub users add NAME --role admin`")
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
