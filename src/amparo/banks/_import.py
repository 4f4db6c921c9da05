"""Bulk import of bank entries from CSV and JSON Lines.

CSV: a header row, then one entry per row. Signals come either as two columns
``signal_type`` and ``value`` (one signal per row) or as one column per signal type (``pdq``,
``md5``, ``sha256``, ``video_md5``; one entry may carry several). Optional columns:
``source``, ``source_id``, ``category``, ``tags`` (separated by ``|``, ``;`` or ``,``),
``note``, ``enabled`` (true/false), ``pdq_quality``.

JSON Lines: one object per line with the same keys; signals either as ``{"signals": {type:
value}}`` or as ``signal_type`` + ``value``; ``tags`` a list or a string.

Row numbers are line numbers in the file (the CSV header is row 1). Every row is checked
first; with bad rows nothing is imported unless ``skip_bad_rows``. Rows are streamed, never
all held in memory, and committed in batches of
:data:`BATCH` rows, each its own transaction, so other writers are never blocked for long.

Importing is an upsert (see :mod:`amparo.banks._apply`): a row with a ``source_id`` updates
the entry of the same source and source id, a row without one updates the entry holding one
of its hashes, anything else is added; importing the same file again changes nothing. With
``replace`` the bank becomes what the file lists: entries it no longer lists are disabled
(not deleted) and the ledger says so. An interrupted import leaves its committed batches;
run it again to finish.
"""

from __future__ import annotations

import csv
import json
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any, Literal

from amparo.banks import _repo
from amparo.banks._apply import ApplyCounts, apply_batch, sweep
from amparo.banks._model import NewEntry, check_category, check_note, check_tags
from amparo.errors import AmparoError, ImportRowsError, InputError
from amparo.signals import SIGNAL_TYPES, normalize_signal
from amparo.store import UnitOfWork, utcnow

__all__ = [
    "BATCH",
    "ImportResult",
    "Transactions",
    "import_entries",
    "parse_csv",
    "parse_jsonl",
    "read_entries",
]

BATCH = 5000
Transactions = Callable[[], AbstractContextManager[UnitOfWork]]

Format = Literal["csv", "jsonl"]
Row = tuple[int, NewEntry | str]

_OPTIONAL = {"source", "source_id", "category", "tags", "note", "enabled", "pdq_quality"}
_TRUE = {"1", "true", "yes", "y", "on", ""}
_FALSE = {"0", "false", "no", "n", "off"}


@dataclass(frozen=True)
class ImportResult:
    """``imported``: good rows applied (added, updated or already there); ``disabled``:
    entries no longer listed (``replace`` only)."""

    counts: ApplyCounts
    disabled: int
    bad_rows: tuple[tuple[int, str], ...]

    @property
    def imported(self) -> int:
        return self.counts.added + self.counts.updated + self.counts.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "added": self.counts.added,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "disabled": self.disabled,
            "skipped": len(self.bad_rows),
            "bad_rows": [{"row": n, "reason": why} for n, why in self.bad_rows],
        }


def _entry_from(fields: Mapping[str, Any]) -> NewEntry:
    signals: dict[str, str] = {}
    if "signal_type" in fields or "value" in fields:
        st = str(fields.get("signal_type") or "").strip().lower()
        signals[st] = normalize_signal(st, str(fields.get("value") or ""))
    raw_signals = fields.get("signals")
    if isinstance(raw_signals, Mapping):
        for st, value in raw_signals.items():
            signals[str(st).lower()] = normalize_signal(str(st).lower(), str(value))
    elif raw_signals is not None:
        raise InputError("'signals' must be an object of {type: value}")
    for st in SIGNAL_TYPES:
        value = fields.get(st)
        if value not in (None, ""):
            signals[st] = normalize_signal(st, str(value))
    if not signals:
        raise InputError("no signal in this row")
    enabled_raw = str(fields.get("enabled", "")).strip().lower()
    if enabled_raw not in _TRUE | _FALSE:
        raise InputError(f"enabled must be true or false, not {enabled_raw!r}")
    quality_raw = fields.get("pdq_quality")
    quality: int | None = None
    if quality_raw not in (None, ""):
        try:
            quality = int(str(quality_raw))
        except ValueError as exc:
            raise InputError(f"pdq_quality must be an integer, not {quality_raw!r}") from exc
        if not 0 <= quality <= 100:
            raise InputError(f"pdq_quality must be 0..100, not {quality}")
    source = str(fields.get("source") or "import").strip()
    if len(source) > 64:
        raise InputError("source is longer than 64 characters")
    source_id = fields.get("source_id")
    return NewEntry(
        signals=signals,
        source=source,
        source_id=str(source_id) if source_id not in (None, "") else None,
        category=check_category(fields.get("category") or None),
        tags=check_tags(fields.get("tags")),
        note=check_note(fields.get("note") or None),
        qualities={"pdq": quality} if quality is not None and "pdq" in signals else {},
        enabled=enabled_raw not in _FALSE,
    )


def _checked(row_no: int, fields: Mapping[str, Any]) -> Row:
    try:
        return row_no, _entry_from(fields)
    except AmparoError as exc:
        return row_no, exc.message


def parse_csv(lines: Iterable[str]) -> Iterator[Row]:
    """(row number, entry or reason) for every data row of a CSV file."""
    reader = csv.DictReader(iter(lines))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise InputError("the CSV file is empty", hint="give a header row, e.g. signal_type,value")
    reader.fieldnames = header
    unknown = set(header) - _OPTIONAL - set(SIGNAL_TYPES) - {"signal_type", "value"}
    if unknown:
        raise InputError(
            f"unknown CSV column(s): {', '.join(sorted(unknown))}",
            hint="allowed: signal_type, value, " + ", ".join(sorted(set(SIGNAL_TYPES) | _OPTIONAL)),
        )
    for fields in reader:
        if None in fields:
            yield reader.line_num, "more values than header columns"
            continue
        yield _checked(reader.line_num, fields)


def parse_jsonl(lines: Iterable[str]) -> Iterator[Row]:
    """(row number, entry or reason) for every non-empty line of a JSON Lines file."""
    for row_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield row_no, f"not valid JSON ({exc.msg})"
            continue
        if not isinstance(obj, dict):
            yield row_no, "not a JSON object"
            continue
        yield _checked(row_no, obj)


def read_entries(open_lines: Callable[[], Iterable[str]], fmt: Format) -> Iterator[Row]:
    """(row number, entry or reason) for every row of a CSV or JSON Lines file."""
    lines = open_lines()
    return parse_csv(lines) if fmt == "csv" else parse_jsonl(lines)


def import_entries(
    transactions: Transactions,
    bank_name: str,
    open_lines: Callable[[], Iterable[str]],
    fmt: Format,
    *,
    skip_bad_rows: bool = False,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row, then import in committed batches; ``progress`` gets the number of
    rows applied after each batch.

    The file is read once: checked rows are spooled to a temporary file (a batch at a time,
    as pickles of our own values) and read back to import, so memory holds one batch.
    """
    with transactions() as uow:
        bank_id = _repo.bank_row(uow, bank_name).id
    bad: list[tuple[int, str]] = []
    with tempfile.TemporaryFile() as spool:
        batch: list[NewEntry] = []
        for row_no, entry in read_entries(open_lines, fmt):
            if isinstance(entry, str):
                bad.append((row_no, entry))
                continue
            batch.append(entry)
            if len(batch) == BATCH:
                pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
        if bad and not skip_bad_rows:
            raise ImportRowsError(bad)
        spool.seek(0)
        started = utcnow()
        counts = ApplyCounts()
        analysed_at = 0
        while batch := _next_batch(spool):
            with transactions() as uow:
                if counts.items >= 2 * analysed_at:  # the tables doubled: fresh statistics
                    _repo.refresh_statistics(uow)
                    analysed_at = max(counts.items, BATCH)
                counts += apply_batch(
                    uow, bank_id=bank_id, source="import", items=batch, seen_at=started
                )
            if progress is not None:
                progress(counts.items)
    disabled = 0
    while replace:
        with transactions() as uow:
            done = sweep(uow, bank_id=bank_id, source=None, before=started, action="disable")
        disabled += done
        replace = done > 0
    return ImportResult(counts, disabled, tuple(bad))


def _next_batch(spool: IO[bytes]) -> list[NewEntry]:
    try:
        batch: list[NewEntry] = pickle.load(spool)  # our own file, just written
    except EOFError:
        return []
    return batch
