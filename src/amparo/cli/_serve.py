"""``amparo serve``."""

from __future__ import annotations

from typing import Annotated

import typer

from amparo.cli._common import settings
from amparo.cli._logging import setup_logging, uvicorn_log_config

__all__ = ["app"]


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    log_level: Annotated[
        str, typer.Option(help="Level of the server's own log lines: debug, info, warning.")
    ] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs).

    Each request is logged with its request id (X-Request-ID, echoed or made up);
    AMPARO_LOG_FORMAT=json writes JSON lines.

    Examples:

      amparo serve
      amparo serve --host 0.0.0.0 --port 8000
      AMPARO_LOG_FORMAT=json amparo serve --host 0.0.0.0
    """
    import uvicorn

    from amparo.api import create_app

    config = settings(ctx)
    setup_logging(config.log_format, server=True)
    app = create_app(config)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=uvicorn_log_config(config.log_format),
        access_log=False,
    )


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("serve")(serve_command)
