"""What every command shares: the runtime, consoles, and error translation."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from amparo.config import Settings
from amparo.errors import AmparoError
from amparo.runtime import Amparo

__all__ = ["AmparoGroup", "err", "out", "runtime"]

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
        obj["amparo"] = Amparo.open(Settings())
        root.call_on_close(obj["amparo"].close)
    amparo: Amparo = obj["amparo"]
    return amparo
