"""``amparo serve``."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from amparo.api import create_app
from amparo.config import load_settings

__all__ = ["app"]


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    app = create_app(load_settings())
    uvicorn.run(app, host=host, port=port, log_level=log_level)


app = typer.Typer()
app.command("serve")(serve_command)
