"""``amparo users ...``: accounts of people who use the review console."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from amparo import accounts, auth
from amparo.cli._common import AmparoGroup, err, out, print_table, runtime

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Manage accounts of people who use the review console (/review).\n\n"
    "Examples:\n\n"
    "  amparo users create alice --role reviewer\n"
    "  amparo users list\n"
    "  amparo users disable alice",
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (a-z, 0-9, '.', '_', '-').")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(auth.ROLES)}.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Create an account; print its TOTP secret and provisioning URI once.

    The password is asked for (twice), or read from standard input with --password-stdin;
    it needs at least 12 characters and is stored as an argon2id digest. Add the printed
    otpauth:// URI (or the secret) to an authenticator app: logging in needs its code.
    Only reviewer and admin accounts see media in the console.

    Examples:

      amparo users create alice --role reviewer
      printf '%s' "$PASSWORD" | amparo users create bob --role admin --password-stdin
    """
    if password_stdin:
        password = sys.stdin.read().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    amparo = runtime(ctx)
    with amparo.session() as s:
        new = accounts.create_user(
            s, name=name, role=role, password=password, box=amparo.credential_box()
        )
    err.print(
        f"user {new.user.id} {new.user.name} ({new.user.role}); its TOTP secret is shown only "
        "once — add it to an authenticator app:",
        markup=False,
    )
    print(f"secret: {new.totp_secret}")
    print(f"uri: {new.totp_uri}")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List accounts (never their passwords or secrets).

    Examples:

      amparo users list
      amparo users list --json
    """
    with runtime(ctx).session() as s:
        users = accounts.list_users(s)
    if as_json:
        for u in users:
            print(json.dumps(u.to_dict()))
        return
    table = Table("id", "name", "role", "created", "last login", "disabled")
    for u in users:
        table.add_row(
            str(u.id),
            u.name,
            u.role,
            u.created_at.isoformat(),
            u.last_login_at.isoformat() if u.last_login_at else "",
            "yes" if u.disabled else "",
        )
    print_table(table)


@app.command("disable")
def disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The user name.")]
) -> None:
    """Disable an account: its sessions end at once and it cannot log in.

    Examples:

      amparo users disable alice
    """
    with runtime(ctx).session() as s:
        user = accounts.disable_user(s, name)
    out.print(f"disabled user {user.id} ({user.name})", markup=False)
