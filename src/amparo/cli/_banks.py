"""``amparo bank ...``: create, list, update, import, export, add, find, disable, enable,
delete, entries."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from amparo import banks
from amparo.banks import NewEntry
from amparo.cli._common import AmparoGroup, err, out, print_table, read_file, runtime
from amparo.cli._progress import Reporter
from amparo.errors import InputError
from amparo.matching import Query
from amparo.signals import normalize_signal
from amparo.usecases import add_media_entry

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Manage banks: named lists of known hashes.\n\n"
    "Examples:\n\n"
    "  amparo bank create NCMEC_INDUSTRY --description 'NCMEC industry list'\n"
    "  amparo bank import NCMEC_INDUSTRY hashes.csv\n"
    "  amparo bank find --pdq 0f1e...\n"
    "  amparo bank export NCMEC_INDUSTRY --out backup.csv",
)

BankName = Annotated[str, typer.Argument(help="Bank name, UPPER_WITH_UNDERSCORE.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Show no progress.")]
Format = Literal["csv", "jsonl"]


def _format(fmt: str | None, path: Path | None) -> Format:
    kind = fmt or ("jsonl" if path is not None and path.suffix in (".jsonl", ".ndjson") else "csv")
    if kind == "csv":
        return "csv"
    if kind == "jsonl":
        return "jsonl"
    raise InputError(f"unknown format {kind!r}", hint="use --format csv or --format jsonl")


def _tags(tag: list[str] | None, tags: str | None) -> tuple[str, ...]:
    """``--tag`` (repeatable, each may hold several separated by commas) and the older
    ``--tags`` spelling, as checked tags."""
    given = [*(tag or []), *([tags] if tags else [])]
    return banks.check_tags(",".join(given)) if given else ()


TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", help="A tag, e.g. generative_ai (repeatable; or comma-separated).", metavar="TAG"
    ),
]
OldTags = Annotated[str | None, typer.Option("--tags", hidden=True)]


@app.command("create")
def create(
    ctx: typer.Context,
    name: BankName,
    description: Annotated[str | None, typer.Option(help="What the bank holds.")] = None,
    threshold: Annotated[
        int,
        typer.Option(min=0, max=128, help="PDQ match threshold (bits); 31 is PDQ's usual choice."),
    ] = banks.DEFAULT_PDQ_THRESHOLD,
) -> None:
    """Create a bank.

    Examples:

      amparo bank create NCMEC_INDUSTRY
      amparo bank create IWF --description "IWF hash list" --threshold 31
    """
    with runtime(ctx).session() as s:
        bank = banks.create_bank(s, name, description=description, pdq_threshold=threshold)
    out.print(f"created bank {bank.name} (PDQ threshold {bank.pdq_threshold})", markup=False)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List banks with their entry counts.

    Examples:

      amparo bank list
      amparo bank list --json
    """
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
    print_table(table)


@app.command("update")
def update(
    ctx: typer.Context,
    name: BankName,
    description: Annotated[
        str | None, typer.Option(help="What the bank holds (an empty text clears it).")
    ] = None,
    threshold: Annotated[
        int | None, typer.Option(min=0, max=128, help="PDQ match threshold (bits), 0..128.")
    ] = None,
    enabled_ratio: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of lookups the bank takes part in: 1 always, 0 never (disabled).",
        ),
    ] = None,
    rename: Annotated[
        str | None, typer.Option(help="A new name, UPPER_WITH_UNDERSCORE.", metavar="NEW_NAME")
    ] = None,
) -> None:
    """Change a bank's description, PDQ threshold or enabled ratio, or rename it.

    Lookups see the change at once. Exchanges feeding the bank follow a rename.

    Examples:

      amparo bank update NCMEC_INDUSTRY --threshold 24
      amparo bank update OLD_LIST --enabled-ratio 0
      amparo bank update TEST --rename TEST_2025 --description "last year's test list"
    """
    if description is None and threshold is None and enabled_ratio is None and rename is None:
        raise InputError(
            "nothing to change",
            hint="give --description, --threshold, --enabled-ratio or --rename",
        )
    with runtime(ctx).session() as s:
        bank = banks.update_bank(
            s,
            name,
            new_name=rename,
            description=description,
            pdq_threshold=threshold,
            matching_enabled_ratio=enabled_ratio,
        )
    out.print(
        f"updated bank {bank.name}: PDQ threshold {bank.pdq_threshold}, enabled ratio "
        f"{bank.matching_enabled_ratio:g}, description {bank.description or '(none)'!r}",
        markup=False,
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    name: BankName,
    file: Annotated[Path, typer.Argument(help="CSV (with a header) or JSON Lines file.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv or jsonl (default: from the file name).", metavar="csv|jsonl"
        ),
    ] = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Import the good rows even if some rows are bad."),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Make the bank equal the file: entries it no longer lists are "
            "disabled (not deleted).",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Bulk import entries from CSV or JSON Lines.

    Columns: signal_type,value (or pdq,md5,sha256,video_md5 columns), source, source_id,
    category, tags, note, enabled, pdq_quality (the format `amparo bank export` writes).
    With bad rows nothing is imported (their row numbers are printed) unless
    --skip-bad-rows. Importing is an upsert: a row updates the entry with its source and
    source_id (or, without one, the entry holding one of its hashes), so importing a file
    again changes nothing. Rows are committed in batches of 5,000 (on PostgreSQL, two
    written at once), so other writers are not held up; an interrupted import is finished
    by running it again.

    Examples:

      amparo bank import IWF iwf-2026-11.csv
      amparo bank import IWF iwf-2026-12.csv --replace
      amparo bank import LOCAL list.jsonl --skip-bad-rows
    """
    if not file.is_file():
        raise InputError(f"{file}: no such file", hint="check the path")
    kind = _format(fmt, file)

    def open_lines() -> Iterator[str]:
        with file.open("rb") as fh:
            yield from banks.file_lines(fh, name=str(file))

    amparo = runtime(ctx)
    with Reporter(f"importing into {name}", "rows", quiet=quiet) as bar:
        result = banks.import_entries(
            amparo.session,
            name,
            open_lines,
            kind,
            skip_bad_rows=skip_bad_rows,
            replace=replace,
            progress=bar.update,
        )
    c = result.counts
    out.print(
        f"imported {result.imported} entries into {name}: {c.added} added, {c.updated} "
        f"updated, {c.unchanged} unchanged"
        + (f"; {result.disabled} no longer listed, disabled" if replace else ""),
        markup=False,
    )
    for row, why in result.bad_rows:
        out.print(f"  skipped row {row}: {why}", highlight=False, markup=False)


@app.command("export")
def export(
    ctx: typer.Context,
    name: BankName,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write here (default: standard output).", metavar="FILE"),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv or jsonl (default: from the --out file name, else csv).",
            metavar="csv|jsonl",
        ),
    ] = None,
) -> None:
    """Write a bank's entries in the import format, so `amparo bank import` reads them back.

    Each entry's signals (with the PDQ quality), source, source_id, category, tags, note
    and enabled state. Entries disabled until a time are written as disabled.

    Examples:

      amparo bank export NCMEC_INDUSTRY > ncmec.csv
      amparo bank export NCMEC_INDUSTRY --out ncmec.jsonl
      amparo bank export OLD --out old.csv && amparo bank import NEW old.csv
    """
    kind = _format(fmt, out_file)
    lines = banks.export_lines(runtime(ctx).session, name, kind)
    if out_file is None:
        sys.stdout.writelines(lines)
        return
    written = 0
    try:
        with out_file.open("w", encoding="utf-8", newline="") as fh:
            for line in lines:
                fh.write(line)
                written += 1
    except OSError as exc:
        raise InputError(
            f"cannot write {out_file}: {exc.strerror}", hint="check the path"
        ) from None
    entries = written - 1 if kind == "csv" else written
    err.print(f"exported {entries} entries of {name} to {out_file}", markup=False)


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
    tag: TagOpt = None,
    tags: OldTags = None,
    note: Annotated[str | None, typer.Option(help="Up to 255 characters.")] = None,
    source_id: Annotated[str | None, typer.Option(help="The item's id in its source list.")] = None,
) -> None:
    """Add one entry from hashes or from an image file; lookups see it at once.

    Examples:

      amparo bank add LOCAL --pdq 0f1e... --category A1 --tag generative_ai
      amparo bank add LOCAL --md5 d41d8cd98f00b204e9800998ecf8427e
      amparo bank add LOCAL --file known.jpg --note "from report 123"
    """
    amparo = runtime(ctx)
    checked_tags = _tags(tag, tags)
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
            tags=checked_tags,
            note=note,
        )
        out.print(f"added entry {entry.id} to {name}", markup=False)
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
        tags=checked_tags,
        note=banks.check_note(note),
    )
    with amparo.session() as s:
        entry = banks.add_entry(s, name, new)
    out.print(f"added entry {entry.id} to {name}", markup=False)


@app.command("find")
def find(
    ctx: typer.Context,
    pdq: Annotated[str | None, typer.Option(help="A PDQ hash (64 hex characters).")] = None,
    md5: Annotated[str | None, typer.Option(help="An MD5 (32 hex characters).")] = None,
    sha256: Annotated[str | None, typer.Option(help="A SHA-256 (64 hex characters).")] = None,
    bank: Annotated[
        list[str] | None,
        typer.Option("--bank", help="Only this bank (repeatable; default: all).", metavar="NAME"),
    ] = None,
    max_distance: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=256,
            help="Largest PDQ distance (bits) to show, in every bank (default: each bank's "
            "own threshold).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the entries holding a hash, with the PDQ distance, disabled entries included.

    A curator's search: nothing is recorded as a scan (use `amparo match` for media).

    Examples:

      amparo bank find --pdq 0f1e...
      amparo bank find --pdq 0f1e... --max-distance 40 --bank NCMEC_INDUSTRY
      amparo bank find --md5 d41d8cd98f00b204e9800998ecf8427e --json
    """
    queries = [
        Query(st, normalize_signal(st, value))
        for st, value in (("pdq", pdq), ("md5", md5), ("sha256", sha256))
        if value is not None
    ]
    if not queries:
        raise InputError("no hash given", hint="give --pdq, --md5 or --sha256")
    amparo = runtime(ctx)
    if bank:
        with amparo.session() as s:
            for b in bank:
                banks.get_bank(s, b)
    found = amparo.matcher.lookup(
        queries,
        only_enabled=False,
        banks=bank or None,
        radius=max_distance,
        respect_bank_thresholds=max_distance is None,
    )
    matches = sorted((m for ms in found for m in ms), key=lambda m: (m.distance, m.entry_id))
    if as_json:
        for m in matches:
            print(json.dumps(m.to_dict()))
        return
    if not matches:
        err.print("no entry holds that hash", markup=False)
        return
    table = Table("bank", "entry", "type", "distance", "enabled", "category", "source", "source id")
    for m in matches:
        table.add_row(
            m.bank,
            str(m.entry_id),
            m.signal_type,
            str(m.distance),
            "yes" if m.enabled else "no",
            m.category or "",
            m.source,
            m.source_id or "",
        )
    print_table(table)


def _set_enabled(ctx: typer.Context, name: str, entry_id: int, enabled: bool) -> None:
    with runtime(ctx).session() as s:
        banks.update_entry(s, name, entry_id, disable_until_ts=1 if enabled else 0)
    out.print(f"{'enabled' if enabled else 'disabled'} entry {entry_id} of {name}", markup=False)


EntryId = Annotated[int, typer.Argument(help="The entry's id.")]


@app.command("disable")
def disable(ctx: typer.Context, name: BankName, entry_id: EntryId) -> None:
    """Disable an entry: it stays in the bank but no longer matches.

    Examples:

      amparo bank disable NCMEC_INDUSTRY 42
    """
    _set_enabled(ctx, name, entry_id, False)


@app.command("enable")
def enable(ctx: typer.Context, name: BankName, entry_id: EntryId) -> None:
    """Enable a disabled entry again.

    Examples:

      amparo bank enable NCMEC_INDUSTRY 42
    """
    _set_enabled(ctx, name, entry_id, True)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: BankName,
    entry_id: Annotated[
        int | None, typer.Argument(help="Delete only this entry (default: the whole bank).")
    ] = None,
) -> None:
    """Delete a bank with all its entries, or one entry.

    Examples:

      amparo bank delete TEST_LIST
      amparo bank delete NCMEC_INDUSTRY 42
    """
    with runtime(ctx).session() as s:
        if entry_id is None:
            banks.get_bank(s, name)
            banks.delete_bank(s, name)
            out.print(f"deleted bank {name}", markup=False)
        elif banks.delete_entry(s, name, entry_id):
            out.print(f"deleted entry {entry_id} of {name}", markup=False)
        else:
            raise InputError(
                f"bank {name} has no entry {entry_id}",
                hint=f"list its entries with `amparo bank entries {name}`",
            )


@app.command("entries")
def entries(
    ctx: typer.Context,
    name: BankName,
    after_id: Annotated[int, typer.Option(min=0, help="Start after this entry id.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many to show.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List a bank's entries, a page at a time (in id order).

    Examples:

      amparo bank entries NCMEC_INDUSTRY
      amparo bank entries NCMEC_INDUSTRY --after-id 50 --limit 100 --json
    """
    with runtime(ctx).session() as s:
        rows = banks.list_entries(s, name, after_id=after_id, limit=limit)
    if as_json:
        for e in rows:
            print(json.dumps(e.to_dict()))
        return
    table = Table("id", "enabled", "category", "tags", "source", "source id")
    table.add_column("signals", no_wrap=True)  # hashes are shown whole
    table.add_column("note")
    for e in rows:
        table.add_row(
            str(e.id),
            "yes" if e.enabled else "no",
            e.category or "",
            ", ".join(e.tags),
            e.source,
            e.source_id or "",
            "\n".join(f"{st} {value}" for st, value in e.signals.items()),
            e.note or "",
        )
    print_table(table)
    if len(rows) == limit:
        err.print(f"more: amparo bank entries {name} --after-id {rows[-1].id}", markup=False)
