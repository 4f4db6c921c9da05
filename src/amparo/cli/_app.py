"""The ``amparo`` command group, loading each command's module only when it runs.

Why by hand: ``amparo --help`` and ``amparo hash FILE`` must start in well under a second,
and importing every command (the server, SQLAlchemy, threatexchange's exchanges...) costs
several. Click loads a group's commands to list them; here the list and its one-line help
come from :data:`COMMANDS`, and a command's module is imported when it is asked for.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
import typer.main
from rich.markup import escape

from amparo.cli._common import EXIT_INPUT, AmparoGroup, err
from amparo.cli._guard import guard
from amparo.cli._help import tidy
from amparo.config import CONFIG_ENV

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "hash": ("amparo.cli._media:hash_app", "Print the PDQ (with quality), MD5 and SHA-256."),
    "match": ("amparo.cli._media:match_app", "Hash, match against every bank, read provenance."),
    "scan": ("amparo.cli._media:scan_app", "The same as 'amparo match'."),
    "provenance": ("amparo.cli._provenance:provenance_app", "AI provenance: verdict, evidence."),
    "stamp": ("amparo.cli._provenance:stamp_app", "Label an AI generator's output (C2PA)."),
    "serve": ("amparo.cli._serve:app", "Serve the HTTP API."),
    "demo": ("amparo.cli._demo:app", "The whole flow on benign synthetic images."),
    "bank": ("amparo.cli._banks:app", "Manage banks: named lists of known hashes."),
    "keys": ("amparo.cli._keys:app", "Manage API keys."),
    "exchange": ("amparo.cli._exchange:app", "Fetch hash lists from exchanges into banks."),
    "ledger": ("amparo.cli._ledger:app", "The tamper-evident ledger: proofs and audits."),
    "witness": ("amparo.cli._witness:app", "Witness other logs' checkpoints."),
    "reports": ("amparo.cli._reports:app", "Report drafts that policies asked for."),
    "policy": ("amparo.cli._policy:app", "Check, try and activate the policy for scans."),
    "evidence": ("amparo.cli._evidence:app", "The evidence vault: holds, purge, exports."),
    "users": ("amparo.cli._users:app", "Manage accounts of people who use the review console."),
    "dsa": ("amparo.cli._dsa:app", "DSA Transparency Database: import dumps, cross-check."),
    "case": ("amparo.cli._cases:app", "Case packages for prosecutors: export, verify."),
    "accountability": ("amparo.cli._accountability:app", "Notices, takedowns, conduct reports."),
    "actions": ("amparo.cli._actions:app", "Webhooks that decisions send; their endpoints."),
}
"""Command name -> (``module:Typer app``, one-line help)."""


class LazyGroup(AmparoGroup):
    """A group whose commands are imported on demand (see the module docstring)."""

    _listing = False

    # Contexts and formatters are typer's vendored click's (untyped here, as in AmparoGroup).
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # The help lists commands by their one-line help only: nothing is imported.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return typer.core.TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        target = COMMANDS[cmd_name][0]
        module_name, _, attr = target.partition(":")
        sub: typer.Typer = getattr(importlib.import_module(module_name), attr)
        command = guard(typer.main.get_command(sub))  # every command's input checked first
        command.name = cmd_name
        return tidy(command)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run, printing usage errors (unknown option, missing argument...) the way every
        other failure is printed: an ``error:`` line and a ``hint:`` line, never a boxed
        panel hard-wrapped at 80 columns."""
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except typer.TyperException as exc:  # click's usage errors
            if type(exc).__name__ != "NoArgsIsHelpError":  # its help is already printed
                where = getattr(getattr(exc, "ctx", None), "command_path", "amparo")
                err.print(
                    f"[bold red]error:[/] {escape(exc.format_message())}\n"
                    f"  hint: see `{escape(where)} --help`",
                    highlight=False,
                )
            sys.exit(exc.exit_code)
        except typer.Abort:  # a prompt interrupted (Ctrl-C or end of input)
            err.print("aborted: nothing was changed", highlight=False)
            sys.exit(EXIT_INPUT)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=LazyGroup,
    name="amparo",
    no_args_is_help=True,
    help="Amparo: hash media, match it against banks of known hashes, read AI provenance, "
    "and record what was found in a tamper-evident log.\n\n"
    "Exit codes: 0 ok (nothing matched); 1 a match was found (match/scan), even if another "
    "file failed; 2 a usage, input or configuration error, or a database that cannot be "
    "reached (one line says what to do); 3 the ledger failed verification; 4 an unexpected "
    "error (the message gives the log file with the details); 130 interrupted.\n\n"
    "Settings come from AMPARO_* environment variables over a TOML config file (--config "
    f"or {CONFIG_ENV}). See `amparo COMMAND --help`.\n\n"
    "Examples:\n\n"
    "  amparo bank create NCMEC_INDUSTRY\n"
    "  amparo bank import NCMEC_INDUSTRY hashes.csv\n"
    "  amparo match uploads/ --json\n"
    "  amparo --config /etc/amparo/amparo.toml serve --host 0.0.0.0",
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar=CONFIG_ENV,
            show_envvar=False,
            help="TOML file of settings (keys are setting names, e.g. database_url); "
            f"AMPARO_* variables win over it. Default: ${CONFIG_ENV}.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Amparo's commands (see ``amparo COMMAND --help``)."""
    ctx.obj = {"config": config}


def main(*args: Any) -> None:
    """The ``amparo`` console script."""
    app(*args)
