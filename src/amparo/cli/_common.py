"""What every command shares: the runtime, consoles, and error translation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from amparo.config import load_settings
from amparo.errors import AmparoError, InputError
from amparo.runtime import Amparo

__all__ = ["AmparoGroup", "err", "out", "read_file", "runtime"]

out = Console()
err = Console(stderr=True)


class AmparoGroup(TyperGroup):
    """The one place where the CLI turns Amparo errors into messages and exit code 2."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except AmparoError as exc:
            err.print(f"[bold red]error:[/] {exc.diagnostics()}", highlight=False)
            raise typer.Exit(exc.exit_code) from exc


def runtime(ctx: typer.Context) -> Amparo:
    """The process's runtime, opened from the environment on first use."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    root.obj = obj
    if "amparo" not in obj:
        obj["amparo"] = Amparo.open(load_settings())
        root.call_on_close(obj["amparo"].close)
    amparo: Amparo = obj["amparo"]
    return amparo


def read_file(path: Path, limit: int) -> bytes:
    """A file's bytes, or :class:`InputError` if it is missing or over ``limit`` bytes."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="check the path")
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            f"{path}: {size} bytes is over the {limit}-byte limit",
            hint="raise AMPARO_MEDIA_MAX_BYTES if this is expected",
        )
    return path.read_bytes()
