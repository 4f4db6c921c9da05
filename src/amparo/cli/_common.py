"""What every command shares: the runtime, consoles, and error translation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from amparo.config import load_settings
from amparo.errors import AmparoError, InputError, MediaTooLargeError

if TYPE_CHECKING:  # only for the annotation: importing the runtime costs a second at start-up
    from amparo.runtime import Runtime

__all__ = ["AmparoGroup", "err", "out", "read_file", "runtime"]

out = Console()
err = Console(stderr=True)


class AmparoGroup(TyperGroup):
    """The one place where the CLI turns Amparo errors into messages and exit codes."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except AmparoError as exc:
            err.print(f"[bold red]error:[/] {exc.diagnostics()}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from exc


def runtime(ctx: typer.Context) -> Runtime:
    """The process's runtime, opened from the environment on first use."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    root.obj = obj
    if "amparo" not in obj:
        from amparo.runtime import Runtime

        obj["amparo"] = Runtime.open(load_settings())
        root.call_on_close(obj["amparo"].close)
    amparo: Runtime = obj["amparo"]
    return amparo


def read_file(path: Path, limit: int) -> bytes:
    """A file's bytes, refused before reading when it is missing or over ``limit`` bytes."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="check the path")
    size = path.stat().st_size
    if size > limit:
        raise MediaTooLargeError(
            f"{path}: {size:,} bytes is over the {limit:,}-byte limit",
            hint="raise AMPARO_MEDIA_MAX_BYTES if such files are expected",
        )
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while we looked
        raise MediaTooLargeError(f"{path}: over the {limit:,}-byte limit")
    return data
