"""``amparo case ...``: prosecutors' case packages — open a case, add sightings and scans,
export one encrypted, provable archive, and verify an archive offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import cases, ledger
from amparo.cli._common import AmparoGroup, err, operator, print_table, runtime
from amparo.cli._progress import Reporter
from amparo.errors import InputError, LedgerVerificationError

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Case packages for prosecutors and hotlines: evidence, custody, timeline, proofs.\n\n"
    "Exit 3 when `case verify` finds the archive changed.\n\n"
    "Examples:\n\n"
    "  amparo case create referral-031 --description 'ExampleTube, March'\n"
    "  amparo case add referral-031 sighting:17 scan:5f0c...\n"
    "  amparo case export referral-031 --recipient age1ql3z7hjy54pw3hyw... --out r031.tar\n"
    "  amparo case verify referral-031.tar --vkey VKEY",
)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the case (unique).")],
    description: Annotated[
        str | None, typer.Option("--description", help="What the case is about.")
    ] = None,
) -> None:
    """Open a case (ledgered).

    Examples:

      amparo case create referral-031 --description "ExampleTube, March"
    """
    case = cases.create_case(runtime(ctx), name, description=description, principal=operator())
    err.print(f"case {case.case_id} {case.name!r} created", highlight=False)


@app.command("add")
def add(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's name.")],
    items: Annotated[
        list[str],
        typer.Argument(help="sighting:ID or scan:ID (a bare UUID is a scan, a number a sighting)."),
    ],
) -> None:
    """Add sightings and scans to a case (each ledgered). Unknown items add nothing.

    Examples:

      amparo case add referral-031 sighting:17 sighting:18
      amparo case add referral-031 scan:5f0c2d1e-7a1b-4c9e-9f00-0123456789ab
    """
    amparo = runtime(ctx)
    parsed = [cases.parse_item(i) for i in items]
    added, present = cases.add_items(
        amparo, cases.sources_for(amparo), case, parsed, principal=operator()
    )
    err.print(
        f"{len(added)} item(s) added to {case!r}"
        + (f"; already there: {', '.join(p.text() for p in present)}" if present else ""),
        highlight=False,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List cases.

    Examples:

      amparo case list
    """
    found = cases.list_cases(runtime(ctx), principal=operator())
    if as_json:
        for c in found:
            print(json.dumps(c.to_dict()))
        return
    table = Table("id", "name", "items", "created", "by", "description")
    for c in found:
        table.add_row(
            str(c.case_id),
            c.name,
            str(len(c.items)),
            c.created_at.strftime("%Y-%m-%d %H:%M"),
            c.created_by or "-",
            c.description or "",
        )
    print_table(table)


@app.command("show")
def show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's name.")],
) -> None:
    """Print a case and its items as JSON.

    Examples:

      amparo case show referral-031
    """
    print(json.dumps(cases.get_case(runtime(ctx), case, principal=operator()).to_dict(), indent=2))


@app.command("export")
def export(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's name.")],
    recipient: Annotated[
        str,
        typer.Option(
            "--recipient",
            help="The prosecutor's or hotline's age public key (age1...) or SSH key "
            "(ssh-ed25519 ...); several separated by commas.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The archive to write (a .tar; new).")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show no progress.")] = False,
) -> None:
    """Export a case as one archive: evidence age-encrypted to the recipient, manifest of
    hashes, custody record, notice and removal timeline, ledger inclusion proofs with the
    checkpoint and its witness cosignatures, and a PDF summary. Ledgered.

    The recipient decrypts evidence with the standard tool: age -d -i key.txt FILE.age.
    Files are streamed one at a time; on any failure (a full disk included) nothing is left.

    Examples:

      amparo case export referral-031 --recipient "$(age-keygen -y key.txt)" --out r031.tar
    """
    amparo = runtime(ctx)
    with Reporter(f"exporting {case}", "files", quiet=quiet) as bar:
        report = cases.export_case(
            amparo,
            cases.sources_for(amparo),
            case,
            recipient=recipient,
            out=out,
            principal=operator(),
            progress=bar.update,
        )
    err.print(
        f"wrote {out}: {report.files} files ({report.evidence_files} evidence), "
        f"{report.proofs} ledger proofs at checkpoint size {report.checkpoint_size}; "
        f"export {report.export_id}",
        highlight=False,
    )


@app.command("verify")
def verify(
    archive: Annotated[Path, typer.Argument(help="An archive from `amparo case export`.")],
    vkey: Annotated[
        str | None,
        typer.Option("--vkey", help="The log's verifier key (default: the archive's log.vkey)."),
    ] = None,
    witness_vkey: Annotated[
        list[str] | None,
        typer.Option("--witness-vkey", help="Require a cosignature by this witness (repeatable)."),
    ] = None,
    identity: Annotated[
        Path | None,
        typer.Option(
            "--identity",
            help="The recipient's age identity file: also decrypt and check every evidence file.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check an archive end to end, offline: every file against the manifest and case.json,
    the manifest against its ledger seal, every proof against the log key (and witnesses).

    Exit 3 and one line per problem when anything was changed, added or removed.

    Examples:

      amparo case verify referral-031.tar --vkey VKEY
      amparo case verify referral-031.tar --vkey VKEY --identity key.txt
    """
    if not archive.is_file():
        raise InputError(f"{archive}: no such file", hint="check the path")
    try:
        key = ledger.parse_vkey(vkey) if vkey else None
        witnesses = [ledger.parse_vkey(w) for w in witness_vkey or []]
    except ValueError as exc:
        raise InputError(f"bad verifier key: {exc}") from None
    ident = None
    if identity is not None:
        try:
            ident = cases.parse_identity(identity.read_text())
        except OSError as exc:
            raise InputError(f"cannot read {identity}: {exc.strerror}") from None
    report = cases.verify_archive(archive, vkey=key, witness_vkeys=witnesses, identity=ident)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    if not report.ok:
        raise LedgerVerificationError(
            f"{archive} does not verify:\n  " + "\n  ".join(report.problems),
            hint="the archive was changed after export; ask the sender for a fresh export",
        )
    err.print(
        f"OK: {report.files} files and {report.proofs} ledger proofs verified against "
        f"{report.origin} (checkpoint size {report.checkpoint_size})"
        + (f"; {report.evidence_decrypted} evidence files decrypted" if ident else ""),
        highlight=False,
    )
    if report.key_from_archive:
        err.print(
            "note: the log key was taken from the archive; pass --vkey with the key the log "
            "operator publishes to prove the origin",
            highlight=False,
        )
