"""``amparo keys ...``: API keys and the secret that encrypts stored credentials."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from cryptography.fernet import Fernet
from rich.table import Table

from amparo import auth
from amparo.cli._common import AmparoGroup, err, out, print_table, runtime

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Manage API keys.\n\n"
    "Examples:\n\n"
    "  amparo keys create --role scanner --name uploads-service\n"
    "  amparo keys list\n"
    "  amparo keys revoke 3",
)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(auth.ROLES)}.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Create an API key and print it once (it is stored only as a digest).

    Roles: admin (everything), curator (banks, exchanges), scanner (hash, scan, match),
    reviewer, auditor (the ledger's records and the scan list), investigator (sightings,
    notices to platforms, conduct reports, evidence holds and exports).

    Examples:

      amparo keys create --role scanner --name uploads-service
      amparo keys create --role auditor --name regulator
    """
    with runtime(ctx).session() as s:
        principal, plaintext = auth.create_key(s, name=name, role=role)
    err.print(f"key {principal.key_id} ({principal.role}) for {principal.name}; shown only once:")
    print(plaintext)


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List keys (never their secrets).

    Examples:

      amparo keys list
      amparo keys list --json
    """
    with runtime(ctx).session() as s:
        keys = auth.list_keys(s)
    if as_json:
        for k in keys:
            print(
                json.dumps(
                    {
                        "id": k.key_id,
                        "name": k.name,
                        "role": k.role,
                        "created_at": k.created_at.isoformat() if k.created_at else None,
                        "revoked": k.revoked,
                    }
                )
            )
        return
    table = Table("id", "name", "role", "created", "revoked")
    for k in keys:
        table.add_row(
            str(k.key_id),
            k.name,
            k.role,
            k.created_at.isoformat() if k.created_at else "",
            "yes" if k.revoked else "",
        )
    print_table(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="The key's id.")]
) -> None:
    """Revoke a key; requests with it fail from now on.

    Examples:

      amparo keys revoke 3
    """
    with runtime(ctx).session() as s:
        principal = auth.revoke_key(s, key_id)
    out.print(f"revoked key {principal.key_id} ({principal.name})", markup=False)


@app.command("secret")
def secret() -> None:
    """Print a new secret for AMPARO_SECRET_KEY (encrypts stored exchange credentials).

    Examples:

      amparo keys secret
    """
    print(Fernet.generate_key().decode())
