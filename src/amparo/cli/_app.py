"""The ``amparo`` command group, loading each command's module only when it runs.

Why by hand: ``amparo --help`` and ``amparo hash FILE`` must start in well under a second,
and importing every command (the server, SQLAlchemy, threatexchange's exchanges...) costs
several. Click loads a group's commands to list them; here the list and its one-line help
come from :data:`COMMANDS`, and a command's module is imported when it is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
import typer.core
import typer.main

from amparo.cli._common import AmparoGroup

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
        command = typer.main.get_command(sub)
        command.name = cmd_name
        return command


app = typer.Typer(
    cls=LazyGroup,
    name="amparo",
    no_args_is_help=True,
    help="Amparo: hash media, match it against banks of known hashes, read AI provenance, "
    "and record what was found in a tamper-evident log.\n\n"
    "Exit codes: 0 ok (nothing matched), 1 a match was found (match/scan), 2 a usage or "
    "input error (the message says what to do), 3 the ledger failed verification, "
    "4 an unexpected error (the message gives a log file).",
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Amparo's commands (see ``amparo COMMAND --help``)."""


def main(*args: Any) -> None:
    """The ``amparo`` console script."""
    app(*args)
