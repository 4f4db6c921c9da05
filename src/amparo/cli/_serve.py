"""``amparo serve``."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer

from amparo.cli._common import settings
from amparo.cli._logging import uvicorn_log_config
from amparo.config import CONFIG_ENV, SERVE_GROUP_ENV

__all__ = ["app"]

LogLevel = Literal["debug", "info", "warning", "error", "critical"]


_GROUP_PREFIX = "amparo-serve-"


def _sweep_groups() -> None:
    """Remove the group folders of ``amparo serve`` processes that are gone: a supervisor
    killed (SIGKILL, a crash) leaves its folder, named after its process id, behind. A
    folder whose process id is in use again stays (it costs nothing but its name)."""
    tmp = Path(tempfile.gettempdir())
    for folder in tmp.glob(f"{_GROUP_PREFIX}*-*"):
        pid = folder.name.removeprefix(_GROUP_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):
            continue  # someone else's process, or no process id at all


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes. Each holds its own copy of the indexes (about 90 bytes "
            "per PDQ hash and 50 per entry: ~1.5 GB per worker at 10M hashes, and ~0.8 GB "
            "more while it folds new hashes into its PDQ index, and up to 64 MiB of freed "
            "memory kept for reuse); all share the database (on SQLite they take turns to "
            "commit, on a lock file beside it). One per CPU core serves the most lookups.",
        ),
    ] = 1,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            help="Level of the server's log lines: info writes one line per request.",
        ),
    ] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs).

    Each request is logged with its request id (X-Request-ID, echoed or made up);
    AMPARO_LOG_FORMAT=json writes JSON lines. /healthz answers liveness probes, /readyz
    readiness probes (503 until the indexes are loaded; with --workers, until every
    worker has loaded its own).

    Examples:

      amparo serve
      amparo serve --host 0.0.0.0 --port 8000 --workers 2
      AMPARO_LOG_FORMAT=json amparo serve --host 0.0.0.0
    """
    import uvicorn

    from amparo.runtime import Runtime

    config = settings(ctx)
    root = ctx.find_root().obj
    if isinstance(root, dict) and root.get("config") is not None:
        os.environ[CONFIG_ENV] = str(root["config"])  # the workers read the same file
    # Migrate once, here, before the workers start (each would race to do it).
    Runtime.open(config).close()
    with contextlib.ExitStack() as stack:
        # Only a group needs its folder. One worker ends on SIGTERM by the signal itself
        # (uvicorn raises it again once shut down), past any cleanup of ours; the group's
        # supervisor returns, so its folder goes with the with-block.
        if workers > 1:  # ready only once every worker has loaded (see amparo.api readiness)
            _sweep_groups()
            group = stack.enter_context(
                tempfile.TemporaryDirectory(prefix=f"{_GROUP_PREFIX}{os.getpid()}-")
            )
            os.environ[SERVE_GROUP_ENV] = f"{workers}:{group}"
        uvicorn.run(
            "amparo.api:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            log_config=uvicorn_log_config(config.log_format, log_level),
            access_log=False,
            loop="uvloop",
            http="httptools",
        )


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("serve")(serve_command)
