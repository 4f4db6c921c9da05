"""``amparo evidence ...``: the evidence vault's metadata, legal holds, purging, exports and
its key-encryption key. No command ever writes plaintext media: exports are ``age`` files.

The command line acts as ``admin`` under the name ``cli:<OS user>`` (key id 0): whoever runs
it holds the database and the vault's key anyway. Every access is a ledger entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import evidence
from amparo.cli._common import AmparoGroup, err, operator, out, print_table, runtime
from amparo.errors import ConflictError, InputError
from amparo.evidence import EvidenceItem

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="The evidence vault: encrypted media kept for reports and prosecutors.\n\n"
    "Items are sealed with AES-256-GCM (a data key each, wrapped by the vault's key), kept "
    "one year by default (18 U.S.C. 2258A), and leave the vault only encrypted to an age "
    "recipient. Every access is recorded in the ledger.\n\n"
    "Examples:\n\n"
    "  amparo evidence list\n"
    "  amparo evidence hold ITEM --reason 'subpoena 2026-77'\n"
    "  amparo evidence export ITEM --recipient age1... --reason 'case 114' --out case.age\n"
    "  amparo evidence keygen --out /etc/amparo/evidence.key",
)

ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Why (recorded in the ledger with your name).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON lines.")]


def _print_items(items: list[EvidenceItem], as_json: bool) -> None:
    if as_json:
        for item in items:
            print(json.dumps(item.to_dict()))
        return
    table = Table("item", "sha256", "size", "media type", "source", "scan", "kept until", "hold")
    for i in items:
        table.add_row(
            i.item_id,
            i.sha256,
            f"{i.size:,}",
            i.media_type or "",
            i.source,
            i.scan_id or "",
            f"purged {i.purged_at:%Y-%m-%d}" if i.purged_at else f"{i.retain_until:%Y-%m-%d}",
            "held" if i.legal_hold else "",
        )
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    print_table(table)


@app.command("list")
def list_(
    ctx: typer.Context,
    scan: Annotated[str | None, typer.Option("--scan", help="Only items of this scan.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only items from this source (scan...).")
    ] = None,
    held: Annotated[
        bool | None, typer.Option("--held/--not-held", help="Only items (not) under a hold.")
    ] = None,
    include_purged: Annotated[
        bool, typer.Option("--include-purged", help="Also list purged items' tombstones.")
    ] = False,
    after: Annotated[
        str | None, typer.Option("--after", help="List items after this item id.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List items' metadata (never media), oldest first.

    Examples:

      amparo evidence list
      amparo evidence list --held --json
    """
    amparo = runtime(ctx)
    with amparo.session() as uow:
        items = amparo.vault.list_items(
            uow,
            principal=operator(),
            after=after,
            limit=limit,
            scan_id=scan,
            source=source,
            legal_hold=held,
            include_purged=include_purged,
        )
    _print_items(items, as_json)


@app.command("show")
def show(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one item's metadata and its legal holds (never its media).

    Examples:

      amparo evidence show 0190a9f0-...
    """
    amparo = runtime(ctx)
    with amparo.session() as uow:
        found = amparo.vault.show(uow, item, principal=operator())
    if as_json:
        print(json.dumps(found.to_dict()))
        return
    _print_items([found], False)
    if found.holds:
        table = Table("hold", "placed by", "placed", "reason", "released")
        for h in found.holds:
            released = f"{h.released_at:%Y-%m-%d} by {h.released_by}" if h.released_at else ""
            table.add_row(
                str(h.hold_id), h.placed_by, f"{h.placed_at:%Y-%m-%d}", h.reason, released
            )
        print_table(table)


@app.command("hold")
def hold(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item's id.")],
    reason: ReasonOpt,
) -> None:
    """Place a legal hold: the item is not purged until every hold on it is released.

    Examples:

      amparo evidence hold 0190a9f0-... --reason 'subpoena 2026-77'
    """
    amparo = runtime(ctx)
    with amparo.session() as uow:
        placed = amparo.vault.place_hold(uow, item, principal=operator(), reason=reason)
    out.print(f"hold {placed.hold_id} placed on {placed.item_id}", markup=False)


@app.command("release")
def release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold's id (see `evidence show`).")],
    reason: ReasonOpt,
) -> None:
    """Release a legal hold; the item is purged once its retention ends and no hold remains.

    Examples:

      amparo evidence release 3 --reason 'case closed'
    """
    amparo = runtime(ctx)
    with amparo.session() as uow:
        done = amparo.vault.release_hold(uow, hold_id, principal=operator(), reason=reason)
    out.print(f"hold {done.hold_id} on {done.item_id} released", markup=False)


@app.command("purge")
def purge(
    ctx: typer.Context,
    items: Annotated[
        list[str] | None,
        typer.Argument(help="Purge these items (each must be expired and not held)."),
    ] = None,
) -> None:
    """Destroy items whose retention ended and that no legal hold keeps (what a server's
    purge job does every AMPARO_EVIDENCE_PURGE_SECONDS). Named items that are held or
    still within their retention refuse the whole command; nothing is purged.

    Examples:

      amparo evidence purge
      amparo evidence purge 0190a9f0-...
    """
    amparo = runtime(ctx)
    if items:
        with amparo.session() as uow:
            count = len(amparo.vault.purge(uow, item_ids=items, principal=operator()))
    else:
        count = len(amparo.purge_evidence(operator()))
    out.print(f"purged {count} item(s)", markup=False)


def _check_out(path: Path) -> Path:
    """The folder of a new output file ``path``, or the error that writing it would meet."""
    if path.exists():
        raise ConflictError(f"{path} already exists", hint="choose another --out path")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder", hint="check the --out path")
    return folder


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` (ciphertext) to a new file ``path`` atomically, mode 0600."""
    tmp = _check_out(path) / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@app.command("export")
def export(
    ctx: typer.Context,
    items: Annotated[list[str], typer.Argument(help="The items' ids.")],
    recipient: Annotated[
        str,
        typer.Option(
            "--recipient", help="age recipient (age1... or an SSH public key) to encrypt to."
        ),
    ],
    reason: ReasonOpt,
    out_file: Annotated[Path, typer.Option("--out", help="The age file to write (new, 0600).")],
) -> None:
    """Export items as one age file encrypted to a recipient: a tar of the media and a
    manifest of their hashes. Decrypt with `age -d -i KEY FILE | tar x`.

    Examples:

      amparo evidence export ITEM1 ITEM2 --recipient age1... --reason 'case 114' --out c.age
    """
    amparo = runtime(ctx)
    _check_out(out_file)
    # Committed (and so recorded) before the file exists: no media leaves unrecorded.
    with amparo.session() as uow:
        archive = amparo.vault.export_to(uow, items, recipient, principal=operator(), reason=reason)
    _write_new(out_file, archive)
    err.print(f"wrote {out_file} ({len(archive):,} bytes, age-encrypted)", markup=False)


@app.command("keygen")
def keygen(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the new key file (0600).")
    ],
) -> None:
    """Create a key-encryption key for the vault and print its key id. Set
    AMPARO_EVIDENCE_KEY_FILE to it, and back it up: evidence cannot be opened without it.

    Examples:

      amparo evidence keygen --out /etc/amparo/evidence.key
    """
    print(evidence.write_key_file(out_file))
