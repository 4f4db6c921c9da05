"""``amparo hash`` and ``amparo match`` (also called ``amparo scan``).

JSON output (``--json``, one object per file): ``signals`` is the API's shape (``pdq`` is
``{"hash", "quality", "low_quality"}``), ``match`` adds the API's scan fields (``scan_id``,
``matched``, ``matches``, ``provenance``, ``decision``...). The flat ``md5``, ``sha256``,
``pdq`` (the hex), ``pdq_quality`` (and ``pdq_dihedral``) keys of earlier releases stay:
scripts read them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from amparo.cli._common import (
    EXIT_INPUT,
    EXIT_MATCH,
    err,
    print_table,
    read_file,
    runtime,
    settings,
)
from amparo.cli._progress import Reporter
from amparo.errors import AmparoError, InputError
from amparo.signals import Hasher

if TYPE_CHECKING:  # the policy package loads matching and provenance: not for `amparo hash`
    from amparo.policy import Decision

__all__ = ["hash_app", "match_app", "scan_app"]

Files = Annotated[list[Path], typer.Argument(help="Image files to read.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per file, per line.")]
Dihedral = Annotated[
    bool, typer.Option("--dihedral", help="Also use the 8 rotations/flips of the PDQ hash.")
]
_TABLE_ALL_ROWS = 50
"""Up to this many files, the table shows unmatched files too; above, only matches."""


def _report_error(path: Path, exc: AmparoError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"path": str(path), **exc.to_dict()}))
    err.print(f"[red]{escape(str(path))}:[/] {escape(exc.diagnostics())}", highlight=False)


def _flat(signals: dict[str, Any]) -> dict[str, Any]:
    """The flat keys of earlier releases: md5, sha256, pdq (hex), pdq_quality, and
    pdq_dihedral when asked for."""
    pdq = signals.get("pdq") or {}
    row = {
        "md5": signals["md5"],
        "sha256": signals["sha256"],
        "pdq": pdq.get("hash"),
        "pdq_quality": pdq.get("quality"),
    }
    if signals.get("pdq_dihedral"):
        row["pdq_dihedral"] = signals["pdq_dihedral"]
    if signals.get("decode_error"):
        row["decode_error"] = signals["decode_error"]
    return row


def _warn_no_pdq(path: Path, error: dict[str, Any] | None) -> None:
    """A file whose pixels were not hashed: its digests still count; say why no PDQ."""
    if error:
        hint = f"\n  hint: {error['hint']}" if error.get("hint") else ""
        err.print(
            f"[yellow]{escape(str(path))}:[/] no PDQ: {escape(error['message'] + hint)}",
            highlight=False,
        )


def hash_command(
    ctx: typer.Context, files: Files, as_json: JsonOpt = False, dihedral: Dihedral = False
) -> None:
    """Print the PDQ (with its quality), MD5 and SHA-256 of each file.

    Nothing is stored and no bank is read. Exit 2 if a file could not be hashed.

    Examples:

      amparo hash photo.jpg
      amparo hash photo.jpg --json --dihedral
    """
    config = settings(ctx)
    hasher = Hasher(config.media, config.pdq_quality_threshold)
    failed = False
    table = Table("path")
    table.add_column("pdq", no_wrap=True)  # hashes are shown whole
    table.add_column("quality")
    table.add_column("md5", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    for path in files:
        try:
            signals = hasher.hash_file(path, dihedral=dihedral).to_dict()
        except AmparoError as exc:
            failed = True
            _report_error(path, exc, as_json)
            continue
        row = _flat(signals)
        _warn_no_pdq(path, signals.get("decode_error"))
        if as_json:
            print(json.dumps({"path": str(path), "signals": signals, **row}))
        else:
            quality = "-" if row["pdq_quality"] is None else str(row["pdq_quality"])
            table.add_row(str(path), row["pdq"] or "-", quality, row["md5"], row["sha256"])
    if not as_json and table.row_count:
        print_table(table)
    if failed:
        raise typer.Exit(EXIT_INPUT)


def _walk(paths: list[Path]) -> Iterator[Path]:
    """Files as given, and every file under a directory (recursively, sorted by path)."""
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    yield Path(folder) / name
        else:
            yield path


class _Resume:
    """The ``--resume`` state file: one JSON line per file done, with its outcome."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.done: dict[str, str] = {}
        self._cut_short = False
        if path is None or not path.exists():
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read the resume file {path}: {exc}",
                hint="give another --resume file, or delete this one to start over",
            ) from None
        self._cut_short = bool(text) and not text.endswith("\n")
        for line in text.splitlines():
            try:
                item = json.loads(line)
                self.done[str(item["path"])] = str(item["status"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by an interruption: that file is done again

    @staticmethod
    def key(path: Path) -> str:
        return str(path.resolve())

    def record(self, path: Path, status: str) -> None:
        if self.path is None:
            return
        line = json.dumps({"path": self.key(path), "status": status}) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("\n" + line if self._cut_short else line)
        self._cut_short = False


def match_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Image files, or directories to scan recursively.", show_default=False),
    ],
    as_json: JsonOpt = False,
    dihedral: Dihedral = False,
    include_low_quality: Annotated[
        bool,
        typer.Option(
            "--include-low-quality", help="Match PDQ hashes even below the quality threshold."
        ),
    ] = False,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance/--no-provenance",
            help="Read AI provenance (C2PA, IPTC, generator metadata) too.",
        ),
    ] = True,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="State file: files it lists as done are skipped, and each file done is "
            "added, so an interrupted scan of a directory goes on where it stopped.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show no progress.")] = False,
    meta: Annotated[
        list[str] | None,
        typer.Option(
            "--meta",
            help="Content metadata KEY=VALUE for the policy (content_id, uploader_id, "
            "surface, country); repeatable; applies to every file.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Hash each file, match it against every bank, read its AI provenance, decide by the
    active policy (see `amparo policy`), and record the scan with its decision (a match or
    a decision that does more than allow also goes to the ledger).

    Exit 1 if anything matched a bank, even when another file failed; else 2 if a file
    failed; else 0. An AI-provenance verdict alone does not change the exit code (see the
    provenance column or field). With many files a progress bar shows on stderr.

    Examples:

      amparo match upload.jpg
      amparo match uploads/ --json > results.jsonl
      amparo match /srv/uploads --resume scan.state --quiet
      amparo scan upload.jpg --meta surface=chat --meta country=DE
    """
    from amparo.cli._policy import parse_meta
    from amparo.usecases import scan_media  # the database stack: only for this command

    content = parse_meta(meta)
    amparo = runtime(ctx)
    state = _Resume(resume)
    files = list(_walk(paths))
    todo = [p for p in files if _Resume.key(p) not in state.done]
    before = [state.done[_Resume.key(p)] for p in files if _Resume.key(p) in state.done]
    any_match = "matched" in before
    failed = "failed" in before
    if before and not quiet:
        err.print(f"skipping {len(before):,} file(s) already done (see {resume})", markup=False)
    show_unmatched = len(files) <= _TABLE_ALL_ROWS
    table = Table(
        "path", "matched", "bank", "entry", "type", "distance", "category", "provenance", "decision"
    )
    with Reporter("scanning", "files", total=len(todo), quiet=quiet or len(todo) < 2) as bar:
        for path in todo:
            try:
                result = scan_media(
                    amparo,
                    read_file(path, amparo.settings.media.max_bytes),
                    filename=str(path),
                    source="cli",
                    dihedral=dihedral,
                    include_low_quality=include_low_quality,
                    with_provenance=provenance,
                    content=content,
                )
            except AmparoError as exc:
                failed = True
                _report_error(path, exc, as_json)
                state.record(path, "failed")
                bar.advance()
                continue
            any_match = any_match or bool(result.matches)
            _warn_no_pdq(path, result.signals.to_dict()["decode_error"])
            state.record(path, "matched" if result.matches else "clean")
            bar.advance()
            if as_json:
                data = result.to_dict()
                print(json.dumps({"path": str(path), **data, **_flat(data["signals"])}))
                continue
            verdict = result.provenance.verdict if result.provenance else ""
            decided = _decided(result.decision)
            if not result.matches and (show_unmatched or decided != "allow"):
                table.add_row(str(path), "no", "", "", "", "", "", verdict, decided)
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
                    decided,
                )
    if not as_json and table.row_count:
        print_table(table)
    if len(files) > 1 and not quiet:
        err.print(
            f"{len(files):,} file(s): {'some matched' if any_match else 'none matched'}"
            + ("; some failed (see above)" if failed else ""),
            markup=False,
        )
    if any_match:
        raise typer.Exit(EXIT_MATCH)
    if failed:
        raise typer.Exit(EXIT_INPUT)


def _decided(decision: Decision | None) -> str:
    """A decision in a table cell: its actions' kinds and the rule."""
    if decision is None:
        return ""
    kinds = ", ".join(a.kind for a in decision.actions)
    return kinds if kinds == "allow" else f"{kinds} ({decision.rule})"


def _app() -> typer.Typer:
    return typer.Typer(add_completion=False, pretty_exceptions_enable=False)


hash_app = _app()
hash_app.command("hash")(hash_command)
match_app = _app()
match_app.command("match")(match_command)
scan_app = _app()
scan_app.command("scan")(match_command)
