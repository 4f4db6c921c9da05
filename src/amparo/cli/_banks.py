"""``amparo bank ...``: create, list, import, add, disable, enable, delete, entries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import banks
from amparo.banks import NewEntry
from amparo.cli._common import AmparoGroup, out, read_file, runtime
from amparo.errors import InputError
from amparo.signals import normalize_signal
from amparo.usecases import add_media_entry

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup, no_args_is_help=True, help="Manage banks: named lists of known hashes."
)

BankName = Annotated[str, typer.Argument(help="Bank name, UPPER_WITH_UNDERSCORE.")]


@app.command("create")
def create(
    ctx: typer.Context,
    name: BankName,
    description: Annotated[str | None, typer.Option(help="What the bank holds.")] = None,
    threshold: Annotated[
        int, typer.Option(help="PDQ match threshold (bits); 31 is PDQ's usual choice.")
    ] = banks.DEFAULT_PDQ_THRESHOLD,
) -> None:
    """Create a bank."""
    with runtime(ctx).session() as s:
        bank = banks.create_bank(s, name, description=description, pdq_threshold=threshold)
    out.print(f"created bank {bank.name} (PDQ threshold {bank.pdq_threshold})")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List banks with their entry counts."""
    with runtime(ctx).session() as s:
        sizes = banks.bank_sizes(s)
        rows = banks.list_banks(s)
    if as_json:
        for b in rows:
            print(json.dumps({**b.to_dict(), "entries": sizes.get(b.name, 0)}))
        return
    table = Table("name", "entries", "PDQ threshold", "enabled ratio", "description")
    for b in rows:
        table.add_row(
            b.name,
            str(sizes.get(b.name, 0)),
            str(b.pdq_threshold),
            f"{b.matching_enabled_ratio:g}",
            b.description or "",
        )
    out.print(table)


@app.command("import")
def import_(
    ctx: typer.Context,
    name: BankName,
    file: Annotated[Path, typer.Argument(help="CSV (with a header) or JSON Lines file.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the file name).")
    ] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option(help="Import the good rows even if some rows are bad.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Make the bank equal the file: entries it no longer lists are "
            "disabled (not deleted).",
        ),
    ] = False,
) -> None:
    """Bulk import entries. Columns: signal_type,value (or pdq,md5,sha256,video_md5 columns),
    source, source_id, category, tags, note, enabled, pdq_quality. With bad rows nothing is
    imported (their row numbers are printed) unless --skip-bad-rows. Importing is an upsert:
    a row updates the entry with its source and source_id (or, without one, the entry
    holding one of its hashes), so importing a file again changes nothing."""
    if not file.is_file():
        raise InputError(f"{file}: no such file", hint="check the path")
    kind = fmt or ("jsonl" if file.suffix in (".jsonl", ".ndjson") else "csv")
    if kind not in ("csv", "jsonl"):
        raise InputError(f"unknown format {kind!r}", hint="use --format csv or --format jsonl")

    def open_lines() -> Iterator[str]:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            yield from fh

    result = banks.import_entries(
        runtime(ctx).session,
        name,
        open_lines,
        "jsonl" if kind == "jsonl" else "csv",
        skip_bad_rows=skip_bad_rows,
        replace=replace,
    )
    c = result.counts
    out.print(
        f"imported {result.imported} entries into {name}: {c.added} added, {c.updated} "
        f"updated, {c.unchanged} unchanged"
        + (f"; {result.disabled} no longer listed, disabled" if replace else "")
    )
    for row, why in result.bad_rows:
        out.print(f"  skipped row {row}: {why}", highlight=False)


@app.command("add")
def add(
    ctx: typer.Context,
    name: BankName,
    pdq: Annotated[str | None, typer.Option(help="A PDQ hash (64 hex characters).")] = None,
    md5: Annotated[str | None, typer.Option(help="An MD5 (32 hex characters).")] = None,
    sha256: Annotated[str | None, typer.Option(help="A SHA-256 (64 hex characters).")] = None,
    file: Annotated[Path | None, typer.Option(help="Hash this image and add its hashes.")] = None,
    category: Annotated[
        str | None, typer.Option(help="A1, A2, B1, B2 (NCMEC) or A, B, C (IWF).")
    ] = None,
    tags: Annotated[str | None, typer.Option(help="Comma-separated, e.g. generative_ai.")] = None,
    note: Annotated[str | None, typer.Option(help="Up to 255 characters.")] = None,
    source_id: Annotated[str | None, typer.Option(help="The item's id in its source list.")] = None,
) -> None:
    """Add one entry from hashes or from an image file."""
    amparo = runtime(ctx)
    if file is not None:
        if any(v is not None for v in (pdq, md5, sha256)):
            raise InputError("give either --file or hashes", hint="add hashes in another entry")
        entry = add_media_entry(
            amparo,
            amparo.hasher,
            name,
            read_file(file, amparo.settings.media.max_bytes),
            source="cli",
            source_id=source_id,
            category=category,
            tags=tags,
            note=note,
        )
        out.print(f"added entry {entry.id} to {name}")
        return
    signals = {
        st: normalize_signal(st, value)
        for st, value in (("pdq", pdq), ("md5", md5), ("sha256", sha256))
        if value is not None
    }
    if not signals:
        raise InputError("no hash given", hint="give --pdq, --md5, --sha256 or --file")
    new = NewEntry(
        signals=signals,
        source="cli",
        source_id=source_id,
        category=banks.check_category(category),
        tags=banks.check_tags(tags),
        note=banks.check_note(note),
    )
    with amparo.session() as s:
        entry = banks.add_entry(s, name, new)
    out.print(f"added entry {entry.id} to {name}")


def _set_enabled(ctx: typer.Context, name: str, entry_id: int, enabled: bool) -> None:
    with runtime(ctx).session() as s:
        banks.update_entry(s, name, entry_id, disable_until_ts=1 if enabled else 0)
    out.print(f"{'enabled' if enabled else 'disabled'} entry {entry_id} of {name}")


EntryId = Annotated[int, typer.Argument(help="The entry's id.")]


@app.command("disable")
def disable(ctx: typer.Context, name: BankName, entry_id: EntryId) -> None:
    """Disable an entry: it stays in the bank but no longer matches."""
    _set_enabled(ctx, name, entry_id, False)


@app.command("enable")
def enable(ctx: typer.Context, name: BankName, entry_id: EntryId) -> None:
    """Enable a disabled entry again."""
    _set_enabled(ctx, name, entry_id, True)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: BankName,
    entry_id: Annotated[
        int | None, typer.Argument(help="Delete only this entry (default: the whole bank).")
    ] = None,
) -> None:
    """Delete a bank with all its entries, or one entry."""
    with runtime(ctx).session() as s:
        if entry_id is None:
            banks.get_bank(s, name)
            banks.delete_bank(s, name)
            out.print(f"deleted bank {name}")
        elif banks.delete_entry(s, name, entry_id):
            out.print(f"deleted entry {entry_id} of {name}")
        else:
            raise InputError(f"bank {name} has no entry {entry_id}")


@app.command("entries")
def entries(
    ctx: typer.Context,
    name: BankName,
    after_id: Annotated[int, typer.Option(help="Start after this entry id.")] = 0,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
) -> None:
    """List a bank's entries as JSON lines."""
    with runtime(ctx).session() as s:
        rows = banks.list_entries(s, name, after_id=after_id, limit=limit)
    for e in rows:
        print(json.dumps(e.to_dict()))
