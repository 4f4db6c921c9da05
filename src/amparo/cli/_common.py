"""What every command shares: settings and the runtime, consoles, tables, and the one place
where failures become messages and exit codes.

Exit codes (``amparo --help`` and the README say the same):

- 0: done; nothing matched.
- 1: a match was found (``match``/``scan``), even if another file failed.
- 2: an expected failure: bad usage or input, settings that cannot work, a database that
  cannot be reached, a declined confirmation. One line says what, a hint says what to do.
- 3: the ledger failed verification (evidence of tampering or a broken proof).
- 4: an unexpected error: a short message and the path of a log file holding the traceback
  (in the data directory's ``logs`` folder).
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import platform
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from typer.core import TyperGroup

from amparo import __version__
from amparo.auth import Principal
from amparo.cli._help import tidy, tidy_option
from amparo.cli._logging import setup_logging
from amparo.config import Settings, load_settings
from amparo.errors import AmparoError, InputError, MediaTooLargeError

if TYPE_CHECKING:  # only for the annotation: importing the runtime costs a second at start-up
    from amparo.runtime import Runtime

__all__ = [
    "EXIT_INPUT",
    "EXIT_MATCH",
    "EXIT_UNEXPECTED",
    "AmparoGroup",
    "err",
    "operator",
    "out",
    "print_table",
    "read_file",
    "runtime",
    "settings",
]

EXIT_MATCH = 1
EXIT_INPUT = 2
EXIT_UNEXPECTED = 4

# soft_wrap: messages are never hard-wrapped (a terminal wraps them itself; a log file or a
# pipe gets whole lines). Tables still fit the terminal, see print_table.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def operator() -> Principal:
    """Who runs the command line, for role checks and the ledger: an admin named after the
    OS user (``cli:NAME``), with no API key (key id 0). The command line opens the database
    directly; API callers are held to their key's role."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "operator"
    return Principal(key_id=0, name=f"cli:{user}", role="admin")


def fail(exc: AmparoError) -> typer.Exit:
    """Print an expected failure (``error: ...`` and its hint) and give the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(exc.diagnostics())}", highlight=False)
    return typer.Exit(exc.exit_code)


class AmparoGroup(TyperGroup):
    """Every group of the command line: turns failures into messages and exit codes (see
    the module docstring), and renders its commands' help tidily."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # typer's vendored click types
        command = super().get_command(ctx, cmd_name)
        return tidy(command) if command is not None else None

    def get_help_option(self, ctx: Any) -> Any:
        return tidy_option(super().get_help_option(ctx))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        tidy(self)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException):
            raise  # click's own: usage errors (exit 2), --help, explicit exits
        except typer.Abort:
            err.print("aborted: nothing was changed", highlight=False)
            raise typer.Exit(EXIT_INPUT) from None
        except AmparoError as exc:
            raise fail(exc) from exc
        except EOFError:
            raise fail(
                InputError(
                    "a question needs an answer, but there is no input",
                    hint="run it in a terminal, or give the answer as an option (e.g. --yes)",
                )
            ) from None
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # the reader of our output went away; typer exits quietly
            log = _crash_log(ctx, exc)
            where = f"the traceback is in {log}" if log else "no log file could be written"
            err.print(
                f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))}\n"
                f"  {where}; please report it with that file",
                highlight=False,
            )
            raise typer.Exit(EXIT_UNEXPECTED) from exc


def _root_obj(ctx: typer.Context) -> dict[str, Any]:
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    obj: dict[str, Any] = root.obj
    return obj


def settings(ctx: typer.Context) -> Settings:
    """The settings of this invocation: loaded once, from the environment over the config
    file (``amparo --config FILE`` or ``AMPARO_CONFIG``). Logging starts in their format."""
    obj = _root_obj(ctx)
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config"))
        setup_logging(obj["settings"].log_format)
    loaded: Settings = obj["settings"]
    return loaded


def runtime(ctx: typer.Context) -> Runtime:
    """The process's runtime, opened from the settings on first use."""
    obj = _root_obj(ctx)
    if "amparo" not in obj:
        from amparo.runtime import Runtime

        obj["amparo"] = Runtime.open(settings(ctx))
        ctx.find_root().call_on_close(obj["amparo"].close)
    amparo: Runtime = obj["amparo"]
    return amparo


def _log_folders(ctx: Any) -> list[Path]:
    """Where a crash log may go: the data directory's ``logs``, else the default data
    directory's, else the temporary directory."""
    folders = []
    loaded = _root_obj(ctx).get("settings")
    with contextlib.suppress(AmparoError):  # settings that cannot load: the defaults below
        folders.append((loaded or load_settings(_root_obj(ctx).get("config"))).data_dir / "logs")
    folders.append(Path(platformdirs.user_data_dir("amparo", appauthor=False)) / "logs")
    folders.append(Path(tempfile.gettempdir()))
    return folders


def _crash_log(ctx: Any, exc: BaseException) -> Path | None:
    """Write the traceback (and what ran, never its arguments: they may hold secrets)."""
    now = datetime.now(UTC)
    text = (
        f"amparo {__version__}, Python {platform.python_version()}, {now.isoformat()}\n"
        f"command: {ctx.command_path} {ctx.invoked_subcommand or ''}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    name = f"crash-{now:%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
    for folder in _log_folders(ctx):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def print_table(table: Table) -> None:
    """Print a table so that hashes are never cut: at least as wide as its ``no_wrap``
    columns and every other cell's longest word need on a terminal, and with every row
    on one line in a pipe or file. Give columns that hold hashes ``no_wrap=True``."""
    needs = Measurement.get(out, out.options.update(max_width=1_000_000), table)
    # A terminal wraps other cells to fit; a pipe or file gets every row on one line.
    wide = Console(
        file=out.file,
        width=max(out.width, needs.minimum if out.is_terminal else needs.maximum),
        force_terminal=out.is_terminal,
        no_color=out.no_color,
    )
    wide.print(table)


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
