"""Bulk import of bank entries from CSV and JSON Lines.

CSV: a header row, then one entry per row. Signals come either as two columns
``signal_type`` and ``value`` (one signal per row) or as one column per signal type (``pdq``,
``md5``, ``sha256``, ``video_md5``; one entry may carry several). Optional columns:
``source``, ``source_id``, ``category``, ``tags`` (separated by ``|``, ``;`` or ``,``),
``note``, ``enabled`` (true/false), ``pdq_quality``.

JSON Lines: one object per line with the same keys; signals either as ``{"signals": {type:
value}}`` or as ``signal_type`` + ``value``; ``tags`` a list or a string.

Row numbers are line numbers in the file (the CSV header is row 1). Import is two-pass:
every row is checked first; with bad rows nothing is imported unless ``skip_bad_rows``.
Rows are streamed, never all held in memory, and committed in batches of
:data:`BATCH` rows, each its own transaction, so other writers are never blocked for long.

Importing is an upsert (see :mod:`amparo.banks._apply`): a row with a ``source_id`` updates
the entry of the same source and source id, a row without one updates the entry holding one
of its hashes, anything else is added; importing the same file again changes nothing. With
``replace`` the bank becomes what the file lists: entries it no longer lists are disabled
(not deleted) and the ledger says so. An interrupted import leaves its committed batches;
run it again to finish.

Export (:func:`export_lines`) writes the same format, so a bank exported and imported again
(into another bank or another Amparo) holds the same entries: signals with the PDQ quality,
source and source id, category, tags, note and enabled state. Entries disabled until a
time are exported as disabled; metadata and media URIs are not part of the format.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gc
import io
import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

from amparo import inputs
from amparo.banks import _repo
from amparo.banks._apply import ApplyCounts, apply_batch, sweep
from amparo.banks._model import Entry, NewEntry, check_category, check_note, check_tags
from amparo.banks._service import list_entries
from amparo.collector import collector_paused
from amparo.errors import AmparoError, ImportRowsError, InputError
from amparo.signals import SIGNAL_TYPES, normalize_signal
from amparo.store import UnitOfWork, utcnow

__all__ = [
    "BATCH",
    "ImportResult",
    "Transactions",
    "export_lines",
    "file_lines",
    "import_entries",
    "parse_csv",
    "parse_jsonl",
    "read_entries",
]

BATCH = 5000
COLLECT_EVERY = 1_000_000
"""Rows an import applies between two passes of Python's collector (see
:mod:`amparo.collector`). A pass over an import's objects takes ~130 ms, with every thread
stopped (applying ~5,000 rows); what it finds is a few hundred objects per 100,000 rows."""
Transactions = Callable[[], AbstractContextManager[UnitOfWork]]

Format = Literal["csv", "jsonl"]
Row = tuple[int, NewEntry | str]

_SIGNAL_NAMES = frozenset(SIGNAL_TYPES)
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
    if fields.keys() <= _SIGNAL_NAMES:  # a plain hash list: most rows of most files
        found = {st: SIGNAL_TYPES[st].normalize(v) for st, v in fields.items() if v}
        if not found:
            raise InputError("no signal in this row")
        return NewEntry(signals=found, source="import")
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


def file_lines(file: BinaryIO, *, name: str) -> Iterator[str]:
    """The lines of a list file from its start (a UTF-8 byte order mark dropped), decoded a
    block at a time; a byte that is not UTF-8 stops it with an :class:`InputError` naming
    the line (found again, line by line, only then). ``file`` stays open and usable."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        for line in text:  # noqa: UP028 - ``yield from`` would close ``text`` (and ``file``) on close
            yield line
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: line {_first_bad_line(file)}: not UTF-8 text ({exc.reason})",
            hint="save the list as UTF-8 CSV or JSON Lines",
        ) from None
    finally:
        # Leave ``file`` open for the caller (the wrapper would close it when collected);
        # an abandoned reader may be closed after the file itself was.
        with contextlib.suppress(ValueError):
            text.detach()


def _first_bad_line(file: BinaryIO) -> int:
    """The line of the first byte of ``file`` that is not UTF-8 (a newline byte is never
    part of a character, so lines decode one by one)."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 0
    for number, raw in enumerate(file, 1):
        try:
            decoder.decode(raw)
        except UnicodeDecodeError:
            return number
    return number  # a character cut short by the end of the file


def parse_csv(lines: Iterable[str]) -> Iterator[Row]:
    """(row number, entry or reason) for every data row of a CSV file.

    A row the csv module cannot read (a field over its 131,072-character limit) is a bad row;
    so is one whose text breaks :mod:`amparo.inputs`' rules (a NUL, a lone surrogate).
    """
    reader = csv.DictReader(iter(lines))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(f"the CSV header row cannot be read: {exc}") from None
    header = [h.strip().lower() for h in (fieldnames or [])]
    if not header:
        raise InputError("the CSV file is empty", hint="give a header row, e.g. signal_type,value")
    reader.fieldnames = header
    unknown = set(header) - _OPTIONAL - set(SIGNAL_TYPES) - {"signal_type", "value"}
    if unknown:
        raise InputError(
            f"unknown CSV column(s): {', '.join(sorted(unknown))}",
            hint="allowed: signal_type, value, " + ", ".join(sorted(set(SIGNAL_TYPES) | _OPTIONAL)),
        )
    if set(header) <= _SIGNAL_NAMES and len(set(header)) == len(header):
        yield from _hash_list(reader, header)
        return
    rows = iter(reader)
    while True:
        try:
            fields = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # not counted as read; the reader starts afresh after it
            yield reader.line_num + 1, f"not readable as CSV: {exc}"
            continue
        if None in fields:
            yield reader.line_num, "more values than header columns"
            continue
        yield _checked_fields(reader.line_num, fields)


def _hash_list(reader: csv.DictReader[str], header: list[str]) -> Iterator[Row]:
    """:func:`parse_csv` of a file whose columns are all signal types (a plain hash list:
    most files): the same rows and reasons, without building a dict per row, which costs
    more than checking it. A row that does not read cleanly goes the general way, so its
    reason is the same word for word."""
    normalizers = [SIGNAL_TYPES[name].normalize for name in header]
    width = len(header)
    raw = reader.reader
    while True:
        try:
            values = next(raw)
        except StopIteration:
            return
        except csv.Error as exc:
            yield raw.line_num + 1, f"not readable as CSV: {exc}"
            continue
        if not values:  # DictReader skips blank lines too
            continue
        if len(values) > width:
            yield raw.line_num, "more values than header columns"
            continue
        try:
            found = {
                name: normalize(v)
                for name, normalize, v in zip(header, normalizers, values, strict=False)
                if v
            }
        except AmparoError:
            found = {}
        if found:  # normalized hex: nothing for inputs.text_problem to find
            yield raw.line_num, NewEntry(signals=found, source="import")
        else:
            yield _checked_fields(raw.line_num, dict(zip(header, values, strict=False)))


def _checked_fields(row_no: int, fields: Mapping[str, Any]) -> Row:
    problems = (
        f"column {name} {problem}"
        for name, value in fields.items()
        if isinstance(value, str) and (problem := inputs.text_problem(value))
    )
    problem = next(problems, None)
    return (row_no, problem) if problem else _checked(row_no, fields)


def parse_jsonl(lines: Iterable[str]) -> Iterator[Row]:
    """(row number, entry or reason) for every non-empty line of a JSON Lines file."""
    for row_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:  # strict JSON of storable text and 64-bit integers, at most 32 levels deep
            obj = inputs.load_json(line, what="row")
        except InputError as exc:
            yield row_no, exc.message
            continue
        if not isinstance(obj, dict):
            yield row_no, "not a JSON object"
            continue
        yield _checked(row_no, obj)


def _plain_hash_list(open_lines: Callable[[], Iterable[str]]) -> tuple[str, int] | None:
    """(signal type, rows) for a CSV of one signal-type column whose every row is a hash of
    that type (most hash lists), else None: such a file has no bad row to find.

    Why not the general check: it costs ~4 us a row in Python; one regular expression over
    blocks of lines, in C, costs a fortieth of that. Any other file (a blank line, quotes,
    spaces, another column) goes the general way."""
    lines = iter(open_lines())
    signal = SIGNAL_TYPES.get(next(lines, "").strip().lower())
    if signal is None:
        return None
    rows = 0
    while block := list(itertools.islice(lines, 50_000)):
        if not _hashes_pattern(signal.hex_length).fullmatch("".join(block)):
            return None
        rows += len(block)
    return signal.name, rows


@functools.cache
def _hashes_pattern(length: int) -> re.Pattern[str]:
    """Lines of ``length`` hex digits, each ending in a line break but perhaps the last."""
    line = f"[0-9A-Fa-f]{{{length}}}"
    return re.compile(rf"(?:{line}\r?\n)*{line}(?:\r?\n)?")


def _plain_entries(open_lines: Callable[[], Iterable[str]], signal_type: str) -> Iterator[NewEntry]:
    """The entries of a file :func:`_plain_hash_list` accepted (a line that is no longer a
    hash, the file having changed since, is skipped as a bad row would be)."""
    valid = _hashes_pattern(SIGNAL_TYPES[signal_type].hex_length).fullmatch
    lines = iter(open_lines())
    next(lines, None)
    # Checked a block at a time, as _plain_hash_list did (a line at a time cost ~0.5 us).
    while block := list(itertools.islice(lines, 50_000)):
        whole = valid("".join(block)) is not None
        for line in block:
            if whole or valid(line):
                yield NewEntry(signals={signal_type: line.rstrip().lower()}, source="import")


def _keys(batch: Sequence[NewEntry]) -> frozenset[tuple[str, str, str]]:
    """What an entry of the batch may be found by: its signals and its source id."""
    keys = {("signal", st, value) for new in batch for st, value in new.signals.items()}
    keys.update(("source", new.source, new.source_id) for new in batch if new.source_id)
    return frozenset(keys)


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
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH,
) -> ImportResult:
    """Check every row, then import in committed batches of ``batch_size`` rows (other
    writers wait at most one batch). ``open_lines`` is called two or three times (streaming
    passes: a plain hash list is recognised, else checked row by row, then imported; parsing
    again costs less than spooling checked rows);
    ``progress`` gets (rows applied, good rows in all) once the rows are checked and after
    each batch. On PostgreSQL two batches are written at once (see below); on SQLite, which
    has one writer, one."""
    with transactions() as uow:
        bank_id = _repo.bank_row(uow, bank_name).id
        writers = _repo.bulk_writers(uow)
    bad: list[tuple[int, str]] = []
    plain = _plain_hash_list(open_lines) if fmt == "csv" else None
    if plain is not None:
        signal_type, total = plain
        good: Iterator[NewEntry] = _plain_entries(open_lines, signal_type)
    else:
        total = 0
        for n, r in read_entries(open_lines, fmt):
            if isinstance(r, str):
                bad.append((n, r))
            else:
                total += 1
        if bad and not skip_bad_rows:
            raise ImportRowsError(bad)
        good = (r for _, r in read_entries(open_lines, fmt) if not isinstance(r, str))
    if progress is not None:
        progress(0, total)
    started = utcnow()

    def write(
        batch: list[NewEntry], analyse: bool, before: Future[ApplyCounts] | None
    ) -> ApplyCounts:
        with transactions() as uow:
            if analyse:  # the tables doubled: fresh statistics
                _repo.refresh_statistics(uow)
            return apply_batch(
                uow,
                bank_id=bank_id,
                source="import",
                items=batch,
                seen_at=started,
                settle=before.result if before is not None else None,
            )

    counts = ApplyCounts()
    written = analysed_at = 0
    in_flight: deque[tuple[Future[ApplyCounts], frozenset[tuple[str, str, str]]]] = deque()

    def finish_oldest() -> None:
        nonlocal counts
        counts += in_flight.popleft()[0].result()
        if progress is not None:
            progress(counts.items, total)

    # The next batch is parsed on one thread while up to `writers` batches are written on
    # others, each in its own transaction: PostgreSQL stores one while Python makes the
    # next (a 300k import: 1.45x the rows/s of one writer). A batch naming a hash or source
    # id of the batch before waits for it; one that finds entries already in the bank waits
    # for it before writing (apply_batch's settle). The collector runs once every
    # COLLECT_EVERY rows rather than every few hundred objects.
    with (
        collector_paused(),
        ThreadPoolExecutor(1, thread_name_prefix="amparo-import") as reader,
        ThreadPoolExecutor(writers, thread_name_prefix="amparo-import-write") as pool,
    ):
        upcoming = reader.submit(lambda: list(itertools.islice(good, batch_size)))
        while batch := upcoming.result():
            upcoming = reader.submit(lambda: list(itertools.islice(good, batch_size)))
            if written // COLLECT_EVERY != (written + len(batch)) // COLLECT_EVERY:
                gc.collect()
            keys = _keys(batch) if writers > 1 else frozenset()
            shared = any(not keys.isdisjoint(theirs) for _, theirs in in_flight)
            while in_flight and (shared or len(in_flight) >= writers):
                finish_oldest()
            analyse = written >= 2 * analysed_at
            if analyse:
                analysed_at = max(written, batch_size)
            before = in_flight[-1][0] if in_flight else None
            in_flight.append((pool.submit(write, batch, analyse, before), keys))
            written += len(batch)
        while in_flight:
            finish_oldest()
    disabled = 0
    while replace:
        with transactions() as uow:
            done = sweep(uow, bank_id=bank_id, source=None, before=started, action="disable")
        disabled += done
        replace = done > 0
    return ImportResult(counts, disabled, tuple(bad))


_SIGNAL_COLUMNS = tuple(SIGNAL_TYPES)
_COLUMNS = (
    *_SIGNAL_COLUMNS,
    "source",
    "source_id",
    "category",
    "tags",
    "note",
    "enabled",
    "pdq_quality",
)


def _export_fields(entry: Entry) -> dict[str, Any]:
    return {
        "signals": dict(entry.signals),
        "source": entry.source,
        "source_id": entry.source_id,
        "category": entry.category,
        "tags": list(entry.tags),
        "note": entry.note,
        "enabled": entry.enabled,
        "pdq_quality": entry.qualities.get("pdq"),
    }


def _csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _csv_row(entry: Entry) -> str:
    fields = _export_fields(entry)
    signals = fields.pop("signals")
    values: dict[str, Any] = {st: signals.get(st, "") for st in _SIGNAL_COLUMNS}
    values.update(fields)
    values["tags"] = "|".join(entry.tags)
    values["enabled"] = "true" if entry.enabled else "false"
    return _csv_line("" if values[c] is None else values[c] for c in _COLUMNS)


def export_lines(
    transactions: Transactions, bank_name: str, fmt: Format, *, page: int = 1000
) -> Iterator[str]:
    """The bank's entries as the lines of a CSV (header first) or JSON Lines file in the
    import format (see the module docstring), in entry id order, read a page at a time,
    each page in its own short transaction. A missing bank is a :class:`NotFoundError`
    before the first line."""
    with transactions() as uow:
        _repo.bank_row(uow, bank_name)
    return _export(transactions, bank_name, fmt, page)


def _export(transactions: Transactions, bank_name: str, fmt: Format, page: int) -> Iterator[str]:
    if fmt == "csv":
        yield _csv_line(_COLUMNS)
    after = 0
    while True:
        with transactions() as uow:
            entries = list_entries(uow, bank_name, after_id=after, limit=page)
        for entry in entries:
            yield _csv_row(entry) if fmt == "csv" else json.dumps(_export_fields(entry)) + "\n"
        if len(entries) < page:
            return
        after = entries[-1].id
