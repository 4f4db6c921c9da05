"""``amparo serve``."""

from __future__ import annotations

from typing import Annotated

import typer

from amparo.config import load_settings

__all__ = ["app"]


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes. Each holds its own copy of the indexes (about 90 bytes "
            "per PDQ hash and 50 per entry: ~1.5 GB per worker at 10M hashes); all share "
            "the database. One per CPU core serves the most lookups.",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="Log level: debug, info, warning...")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs).

    Example: amparo serve --host 0.0.0.0 --port 8000 --workers 2
    """
    import uvicorn

    from amparo.runtime import Runtime

    # Migrate once, here, before the workers start (each would race to do it).
    Runtime.open(load_settings()).close()
    uvicorn.run(
        "amparo.api:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        loop="uvloop",
        http="httptools",
    )


app = typer.Typer()
app.command("serve")(serve_command)
