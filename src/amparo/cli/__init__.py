"""The ``amparo`` command line.

Exit codes: 0 ok (no match), 1 a match was found (``amparo match``), 2 usage or input error.
"""

from __future__ import annotations

import typer

from amparo.cli import _banks, _exchange, _keys, _ledger, _witness
from amparo.cli._common import AmparoGroup
from amparo.cli._demo import demo_command
from amparo.cli._media import hash_command, match_command
from amparo.cli._provenance import provenance_command, stamp_command
from amparo.cli._serve import serve_command

__all__ = ["app", "main"]

app = typer.Typer(
    cls=AmparoGroup,
    name="amparo",
    no_args_is_help=True,
    help="Amparo: hash media, match it against banks of known hashes, and record what was found.",
    pretty_exceptions_enable=False,
)
app.command("hash")(hash_command)
app.command("match")(match_command)
app.command("scan", help="The same as 'amparo match': hash, match, read provenance.")(match_command)
app.command("provenance")(provenance_command)
app.command("stamp")(stamp_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
app.add_typer(_banks.app, name="bank")
app.add_typer(_keys.app, name="keys")
app.add_typer(_exchange.app, name="exchange")
app.add_typer(_ledger.app, name="ledger")
app.add_typer(_witness.app, name="witness")


def main() -> None:
    app()
