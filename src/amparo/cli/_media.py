"""``amparo hash`` and ``amparo match``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from amparo.cli._common import err, out, read_file, runtime
from amparo.config import load_settings
from amparo.errors import AmparoError
from amparo.signals import Hasher

__all__ = ["hash_app", "match_app", "scan_app"]

Files = Annotated[list[Path], typer.Argument(help="Image files to read.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per input line.")]
Dihedral = Annotated[
    bool, typer.Option("--dihedral", help="Also use the 8 rotations/flips of the PDQ hash.")
]


def _report_error(path: Path, exc: AmparoError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"path": str(path), **exc.to_dict()}))
    err.print(f"[red]{path}:[/] {exc.diagnostics()}", highlight=False)


def hash_command(files: Files, as_json: JsonOpt = False, dihedral: Dihedral = False) -> None:
    """Print the PDQ (with quality), MD5 and SHA-256 of each file."""
    settings = load_settings()
    hasher = Hasher(settings.media, settings.pdq_quality_threshold)
    failed = False
    table = Table("path", "pdq", "quality", "md5", "sha256")
    for path in files:
        try:
            signals = hasher.hash_file(path, dihedral=dihedral)
        except AmparoError as exc:
            failed = True
            _report_error(path, exc, as_json)
            continue
        row: dict[str, Any] = {"path": str(path), **_flat(signals.to_dict())}
        if as_json:
            print(json.dumps(row))
        else:
            table.add_row(
                str(path), row["pdq"] or "-", str(row["pdq_quality"]), row["md5"], row["sha256"]
            )
    if not as_json and table.row_count:
        out.print(table)
    if failed:
        raise typer.Exit(2)


def _flat(signals: dict[str, Any]) -> dict[str, Any]:
    """The --json fields: md5, sha256, pdq, pdq_quality (plus dihedral variants if asked)."""
    pdq = signals.get("pdq") or {}
    row = {
        "md5": signals["md5"],
        "sha256": signals["sha256"],
        "pdq": pdq.get("hash") if isinstance(pdq, dict) else pdq,
        "pdq_quality": pdq.get("quality") if isinstance(pdq, dict) else signals.get("pdq_quality"),
    }
    if signals.get("pdq_dihedral"):
        row["pdq_dihedral"] = signals["pdq_dihedral"]
    return row


def match_command(
    ctx: typer.Context,
    files: Files,
    as_json: JsonOpt = False,
    dihedral: Dihedral = False,
    include_low_quality: Annotated[
        bool, typer.Option(help="Match PDQ hashes even below the quality threshold.")
    ] = False,
    provenance: Annotated[
        bool, typer.Option(help="Also read AI provenance (C2PA, IPTC, generator metadata).")
    ] = True,
) -> None:
    """Hash each file, match it against every bank and read its AI provenance.

    Exit 1 if anything matched a bank (an AI-provenance verdict alone does not change the
    exit code; see the 'provenance' column or field)."""
    from amparo.usecases import scan_media  # the database stack: only for this command

    amparo = runtime(ctx)
    any_match = failed = False
    table = Table("path", "matched", "bank", "entry", "type", "distance", "category", "provenance")
    for path in files:
        try:
            result = scan_media(
                amparo,
                read_file(path, amparo.settings.media.max_bytes),
                filename=str(path),
                source="cli",
                dihedral=dihedral,
                include_low_quality=include_low_quality,
                with_provenance=provenance,
            )
        except AmparoError as exc:
            failed = True
            _report_error(path, exc, as_json)
            continue
        any_match = any_match or bool(result.matches)
        if as_json:
            data = result.to_dict()
            print(
                json.dumps(
                    {
                        "path": str(path),
                        **_flat(data["signals"]),
                        "scan_id": data["scan_id"],
                        "matches": data["matches"],
                        "provenance": data["provenance"],
                    }
                )
            )
            continue
        verdict = result.provenance.verdict if result.provenance else ""
        if not result.matches:
            table.add_row(str(path), "no", "", "", "", "", "", verdict)
        for m in result.matches:
            table.add_row(
                str(path),
                "[bold red]yes[/]",
                m.bank,
                str(m.entry_id),
                m.signal_type,
                str(m.distance),
                m.category or "",
                verdict,
            )
    if not as_json and table.row_count:
        out.print(table)
    if failed:
        raise typer.Exit(2)
    if any_match:
        raise typer.Exit(1)


hash_app = typer.Typer()
hash_app.command("hash")(hash_command)
match_app = typer.Typer()
match_app.command("match")(match_command)
scan_app = typer.Typer()
scan_app.command("scan", help="The same as 'amparo match': hash, match, read provenance.")(
    match_command
)
