"""The banks' repository: all SQL on banks, entries, signals and the change feed.

Rows never leave this module: it returns :class:`Bank`, :class:`Entry` and the catalog
values of :mod:`amparo.matching`. Every write that changes what lookups see also appends to
the change feed (``changes``) in the caller's transaction; servers follow the feed to keep
their in-memory catalogs current. No rule is checked here (that is ``_service``'s job) and
no event is emitted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, selectinload

from amparo.banks._model import Bank, Entry, NewEntry
from amparo.errors import NotFoundError
from amparo.matching import BankInfo, EntryInfo
from amparo.store import BankRow, ChangeRow, EntryRow, SignalRow, UTCDateTime, utcnow

__all__ = [
    "CHANGES_BATCH",
    "CatalogSignal",
    "bank_exists",
    "bank_row",
    "bank_sizes",
    "bulk_writers",
    "catalog_banks",
    "catalog_entries",
    "catalog_signals",
    "change_time",
    "changes_after",
    "delete_bank",
    "delete_entries",
    "entries_by_signals",
    "entries_by_source",
    "entry_row",
    "insert_bank",
    "insert_entries",
    "iter_catalog",
    "list_banks",
    "list_entries",
    "log_change",
    "newest_change",
    "refresh_statistics",
    "set_entry_fields",
    "signal_count",
    "stale_entries",
    "to_bank",
    "to_entry",
    "touch_entries",
]

# (signal id, signal type, value, entry): what an index and the catalog need of a signal.
CatalogSignal = tuple[int, str, str, EntryInfo]


def to_bank(row: BankRow) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        description=row.description,
        matching_enabled_ratio=row.matching_enabled_ratio,
        pdq_threshold=row.pdq_threshold,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_entry(row: EntryRow, bank_name: str) -> Entry:
    return Entry(
        id=row.id,
        bank_id=row.bank_id,
        bank=bank_name,
        signals={s.signal_type: s.value for s in row.signals},
        qualities={s.signal_type: s.quality for s in row.signals if s.quality is not None},
        source=row.source,
        source_id=row.source_id,
        category=row.category,
        tags=tuple(row.tags or ()),
        note=row.note,
        disable_until_ts=row.disable_until_ts,
        metadata=row.meta,
        original_media_uri=row.original_media_uri,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def log_change(session: Session, kind: str, object_ids: Iterable[int]) -> None:
    """Append ``kind`` changes of these objects to the change feed."""
    now = utcnow()
    rows = [{"kind": kind, "object_id": i, "created_at": now} for i in object_ids]
    if rows:
        session.execute(insert(ChangeRow), rows)


def _log_added(session: Session, signal_ids: Sequence[int]) -> None:
    """Append the addition of these signals to the change feed: one row per run of
    consecutive ids (a batch's ids are one run unless another writer drew in between)."""
    now = utcnow()
    rows = [
        {"kind": "signal+", "object_id": a, "last_id": b, "created_at": now}
        for a, b in _runs(sorted(signal_ids))
    ]
    if rows:
        session.execute(insert(ChangeRow), rows)


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending ids as runs of consecutive ids, (first, last) each."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


# -- banks -------------------------------------------------------------------------------


def bank_row(session: Session, name: str, *, for_update: bool = False) -> BankRow:
    query = select(BankRow).where(BankRow.name == name)
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError(
            f"no bank named {name!r}", hint="list banks with `amparo bank list` or GET /v1/banks"
        )
    return row


def bank_exists(session: Session, name: str) -> bool:
    return session.scalars(select(BankRow.id).where(BankRow.name == name)).first() is not None


def insert_bank(
    session: Session, name: str, description: str | None, pdq_threshold: int, ratio: float
) -> BankRow:
    row = BankRow(
        name=name,
        description=description,
        pdq_threshold=pdq_threshold,
        matching_enabled_ratio=ratio,
    )
    session.add(row)
    session.flush()
    log_change(session, "bank", [row.id])
    return row


def list_banks(session: Session) -> list[Bank]:
    return [to_bank(r) for r in session.scalars(select(BankRow).order_by(BankRow.name))]


def bank_sizes(session: Session) -> dict[str, int]:
    """Number of entries per bank name."""
    rows = session.execute(
        select(BankRow.name, func.count(EntryRow.id))
        .join(EntryRow, EntryRow.bank_id == BankRow.id, isouter=True)
        .group_by(BankRow.name)
    )
    return {name: int(n) for name, n in rows}


def delete_bank(session: Session, row: BankRow) -> int:
    """Delete a bank with its entries and signals; return how many entries it had."""
    removals = (
        select(
            literal("signal-", String()),
            SignalRow.id,
            literal(utcnow(), UTCDateTime()),
        )
        .join(EntryRow, SignalRow.entry_id == EntryRow.id)
        .where(EntryRow.bank_id == row.id)
    )
    gone_entries = select(
        literal("entry-", String()), EntryRow.id, literal(utcnow(), UTCDateTime())
    ).where(EntryRow.bank_id == row.id)
    for gone in (removals, gone_entries):
        session.execute(insert(ChangeRow).from_select(["kind", "object_id", "created_at"], gone))
    log_change(session, "bank", [row.id])
    count = session.scalar(select(func.count(EntryRow.id)).where(EntryRow.bank_id == row.id))
    session.execute(delete(EntryRow).where(EntryRow.bank_id == row.id))
    session.execute(delete(BankRow).where(BankRow.id == row.id))
    session.expunge(row)
    return int(count or 0)


# -- entries -----------------------------------------------------------------------------


def insert_entries(session: Session, bank_id: int, batch: Sequence[NewEntry]) -> list[int]:
    """Insert entries with their signals (ids in order), logging the signals as added."""
    if not batch:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _copy_entries(session, bank_id, batch)
    return _sqlite_entries(session, bank_id, batch)


def _sqlite_entries(session: Session, bank_id: int, batch: Sequence[NewEntry]) -> list[int]:
    """SQLite's bulk path: one executemany per table, then the ids read back.

    Why not the ORM: INSERT ... RETURNING in parameter order makes SQLAlchemy send SQLite one
    statement per row, and its bulk insert spends more time preparing each row's parameters
    than SQLite spends storing it. Values are converted by the columns' own SQLAlchemy types
    (the same stored form), then handed to the driver. The ids need no RETURNING: SQLite
    gives a new row of an INTEGER PRIMARY KEY table max(id) + 1, and no other connection can
    write until this transaction ends, so a batch's rows get consecutive ids ending at the
    max read back right after.
    """
    conn = session.connection()
    entries = EntryRow.__table__.c
    as_json = _bind(entries.tags, conn.dialect)
    stamp = _bind(entries.created_at, conn.dialect)(utcnow())
    conn.exec_driver_sql(
        "INSERT INTO entries (bank_id, source, source_id, category, tags, note, "
        "disable_until_ts, metadata, original_media_uri, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                bank_id,
                new.source,
                new.source_id,
                new.category,
                as_json(list(new.tags)),
                new.note,
                1 if new.enabled else 0,
                as_json(dict(new.metadata) if new.metadata is not None else None),
                new.original_media_uri,
                stamp,
                stamp,
            )
            for new in batch
        ],
    )
    ids = _last_ids(session, "entries", len(batch))
    signals = [
        (eid, st, value, new.qualities.get(st))
        for eid, new in zip(ids, batch, strict=True)
        for st, value in new.signals.items()
    ]
    if signals:
        conn.exec_driver_sql(
            "INSERT INTO signals (entry_id, signal_type, value, quality) VALUES (?, ?, ?, ?)",
            signals,
        )
        _log_added(session, _last_ids(session, "signals", len(signals)))
    return ids


def _bind(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The conversion SQLAlchemy applies to ``column``'s values before the driver sees them."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def _last_ids(session: Session, table: str, n: int) -> list[int]:
    last = session.connection().exec_driver_sql(f"SELECT max(id) FROM {table}").scalar_one()
    return list(range(last - n + 1, last + 1))


def bulk_writers(session: Session) -> int:
    """How many batches one bulk import writes at once: two on PostgreSQL (it stores one
    while Python makes the next), one on SQLite (one writer at a time)."""
    return 2 if session.get_bind().dialect.name == "postgresql" else 1


# Ids of one batch are drawn under this lock, so that two batches written at once by one
# process get ranges that do not interleave: an ``entries.add`` record names its batch by
# its first and last entry id.
_drawing = threading.Lock()


def _next_ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` ids drawn from the table's sequence, ascending, in one row (a row per id made
    drawing them cost as much as copying the rows). The sequence is named once, in a
    subquery: as the argument of ``nextval`` its lookup ran for every id and took four
    fifths of the time; so did sorting the ids in the database rather than here."""
    with _drawing:
        drawn = session.execute(
            text(
                "SELECT string_agg(nextval((SELECT CAST(pg_get_serial_sequence(:table, 'id') "
                "AS regclass)))::text, ',') FROM generate_series(1, :n)"
            ),
            {"table": table, "n": n},
        ).scalar_one()
    return sorted(int(i) for i in drawn.split(",")) if drawn else []


def _copy_entries(session: Session, bank_id: int, batch: Sequence[NewEntry]) -> list[int]:
    """PostgreSQL's bulk path: ids drawn from the sequences, rows sent with COPY.

    Why not INSERT ... RETURNING: COPY moves a 5,000-entry batch with its signals in two
    round trips (and its change-feed row in one more) instead of dozens, which is what makes
    a million-row import take seconds rather than minutes. Same rows, same transaction.
    """
    ids = _next_ids(session, "entries", len(batch))
    signals = [
        (eid, st, value, new.qualities.get(st))
        for eid, new in zip(ids, batch, strict=True)
        for st, value in new.signals.items()
    ]
    signal_ids = _next_ids(session, "signals", len(signals))
    entries = _entry_lines(ids, bank_id, batch, utcnow().isoformat())
    rows = "".join(  # numbers and hex need no escaping
        f"{sid}\t{eid}\t{st}\t{value}\t{_NULL if quality is None else quality}\n"
        for sid, (eid, st, value, quality) in zip(signal_ids, signals, strict=True)
    )
    cursor = session.connection().connection.cursor()
    for statement, data in (
        (
            "COPY entries (id, bank_id, source, source_id, category, tags, note, "
            "disable_until_ts, metadata, original_media_uri, created_at, updated_at) FROM STDIN",
            entries,
        ),
        ("COPY signals (id, entry_id, signal_type, value, quality) FROM STDIN", rows),
    ):
        with cursor.copy(statement) as copy:
            copy.write(data)
    _log_added(session, signal_ids)
    return ids


def _entry_lines(ids: Sequence[int], bank_id: int, batch: Sequence[NewEntry], stamp: str) -> str:
    """The entries' rows in COPY's text format, formatted by hand: this runs per row of a
    million-row import. A bare entry (no source id, category, tags, note, metadata or media
    address: most rows of a hash list) reuses the columns of the bare entry before it of the
    same source and state, formatted once (8.1 -> 1.4 ms per 5,000 rows)."""
    head, tail = f"\t{bank_id}\t", f"\t{stamp}\t{stamp}\n"
    bare: dict[tuple[str, bool], str] = {}
    lines = []
    for eid, new in zip(ids, batch, strict=True):
        if (
            new.source_id is None
            and new.category is None
            and not new.tags
            and new.note is None
            and new.metadata is None
            and new.original_media_uri is None
        ):
            key = (new.source, new.enabled)
            columns = bare.get(key) or bare.setdefault(key, _entry_columns(new))
        else:
            columns = _entry_columns(new)
        lines.append(f"{eid}{head}{columns}{tail}")
    return "".join(lines)


def _entry_columns(new: NewEntry) -> str:
    """An entry's columns from source to original_media_uri: free text escaped (_text)."""
    return (
        f"{_text(new.source)}\t{_text(new.source_id)}\t{_text(new.category)}\t"
        f"{_json_text(list(new.tags)) if new.tags else '[]'}\t{_text(new.note)}\t"
        f"{1 if new.enabled else 0}\t"
        f"{_NULL if new.metadata is None else _json_text(dict(new.metadata))}\t"
        f"{_text(new.original_media_uri)}"
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NULL = "\\N"


def _json_text(value: object) -> str:
    return _text(json.dumps(value))


def _text(value: str | None) -> str:
    """A text value in COPY's text format: ``\\N`` for NULL, tabs, newlines and backslashes
    escaped."""
    return _NULL if value is None else value.translate(_COPY_ESCAPES)


def _insert_signals(session: Session, entries: Sequence[tuple[int, NewEntry]]) -> None:
    rows = [
        {
            "entry_id": entry_id,
            "signal_type": st,
            "value": value,
            "quality": new.qualities.get(st),
        }
        for entry_id, new in entries
        for st, value in new.signals.items()
    ]
    if rows:
        signal_ids = session.scalars(
            insert(SignalRow).returning(SignalRow.id, sort_by_parameter_order=True), rows
        )
        _log_added(session, list(signal_ids))


def replace_signals(session: Session, row: EntryRow, new: NewEntry) -> None:
    """Give an entry ``new``'s signals instead of its own (logged as removed and added)."""
    old = [s.id for s in row.signals]
    session.execute(delete(SignalRow).where(SignalRow.id.in_(old)))
    log_change(session, "signal-", old)
    _insert_signals(session, [(row.id, new)])
    session.expire(row, ["signals"])


def entry_row(session: Session, bank_id: int, entry_id: int) -> EntryRow | None:
    return session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.id == entry_id, EntryRow.bank_id == bank_id)
    ).first()


def list_entries(session: Session, bank: BankRow, *, after_id: int, limit: int) -> list[Entry]:
    rows = session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.bank_id == bank.id, EntryRow.id > after_id)
        .order_by(EntryRow.id)
        .limit(limit)
    )
    return [to_entry(r, bank.name) for r in rows]


def set_entry_fields(session: Session, row: EntryRow, **fields: Any) -> None:
    """Change an entry's columns (state or description), logging it for the catalogs."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    log_change(session, "entry", [row.id])


def delete_entries(session: Session, rows: Sequence[EntryRow]) -> None:
    """Delete entries with their signals, logging the signals as removed."""
    if not rows:
        return
    log_change(session, "signal-", [s.id for row in rows for s in row.signals])
    log_change(session, "entry-", [r.id for r in rows])
    session.execute(delete(EntryRow).where(EntryRow.id.in_([r.id for r in rows])))
    for row in rows:
        session.expunge(row)


def entries_by_source(
    session: Session, bank_id: int, source: str, source_ids: Sequence[str]
) -> dict[str, EntryRow]:
    """The bank's entries of ``source`` with these source ids, by source id."""
    if not source_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        found: Any = EntryRow.id.in_(
            _PG_SOURCE_OWNERS.bindparams(
                ids=_pg_array(source_ids), bank=bank_id, source=source
            ).columns(id=BigInteger)
        )
    else:
        found = (
            (EntryRow.bank_id == bank_id)
            & (EntryRow.source == source)
            & EntryRow.source_id.in_(source_ids)
        )
    rows = session.scalars(select(EntryRow).options(selectinload(EntryRow.signals)).where(found))
    return {r.source_id: r for r in rows if r.source_id is not None}


# Lookups of a batch's keys on PostgreSQL: one index probe per key, in a subquery that
# OFFSET 0 keeps per key. Why not ``column = ANY(array)``: once a table holds ~1M rows,
# PostgreSQL plans that as a (parallel) scan of the whole table: 105 ms for a batch of 5,000
# hashes, against 24 ms for 5,000 probes, on both cores.
_PG_SIGNAL_OWNERS = text(
    "SELECT v.value, s.entry_id FROM unnest(CAST(:values AS VARCHAR[])) AS v(value) "
    "CROSS JOIN LATERAL (SELECT entry_id FROM signals "
    "WHERE signal_type = :type AND value = v.value OFFSET 0) AS s"
)
_PG_SOURCE_OWNERS = text(
    "SELECT e.id FROM unnest(CAST(:ids AS VARCHAR[])) AS v(source_id) "
    "CROSS JOIN LATERAL (SELECT id FROM entries WHERE bank_id = :bank "
    "AND source = :source AND source_id = v.source_id OFFSET 0) AS e"
)
_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _pg_array(values: Sequence[str]) -> str:
    """``values`` as a PostgreSQL array literal (``{"a","b\\"c"}``), each element quoted.

    Why by hand: psycopg adapts a list element by element in Python, which cost an import
    2.5 us a row (5,000 values a batch); this is one join (escaping each value only when
    one needs it: hashes never do), and the database parses it."""
    if not values:
        return "{}"
    joined = '","'.join(values)
    if "\\" in joined or joined.count('"') != 2 * (len(values) - 1):  # beyond the separators
        joined = '","'.join(v.translate(_ARRAY_ESCAPES) for v in values)
    return '{"' + joined + '"}'


def entries_by_signals(
    session: Session, bank_id: int, signals: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], EntryRow]:
    """The bank's entries holding any of these (type, value) signals, by signal."""
    by_type: dict[str, set[str]] = {}
    for st, value in signals:
        by_type.setdefault(st, set()).add(value)
    owners: dict[int, list[tuple[str, str]]] = {}
    pg = session.get_bind().dialect.name == "postgresql"
    for st, values in by_type.items():
        # Signals first, by the value index alone; most values of an import are new,
        # so the entries (and their bank) are read only for the few that are found.
        found = session.execute(
            _PG_SIGNAL_OWNERS.bindparams(values=_pg_array(sorted(values)), type=st)
            if pg
            else select(SignalRow.value, SignalRow.entry_id).where(
                SignalRow.signal_type == st, SignalRow.value.in_(values)
            )
        )
        for value, entry_id in found:
            owners.setdefault(int(entry_id), []).append((st, str(value)))
    if not owners:
        return {}
    rows = session.scalars(
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.id.in_(list(owners)), EntryRow.bank_id == bank_id)
    )
    return {pair: row for row in rows for pair in owners[row.id]}


def refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see how big the entry and signal tables are now.

    Why: a bulk import grows them faster than autovacuum re-analyses them, and with stale
    statistics (tables it believes small) the planner may scan a table for each lookup of a
    batch, so each batch gets slower as the import goes on.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE signals, entries"))


def touch_entries(session: Session, entry_ids: Sequence[int], when: datetime) -> None:
    """Mark entries as seen at ``when`` (a full fetch or replacing import then sweeps the
    entries it did not see)."""
    if entry_ids:
        session.execute(update(EntryRow).where(EntryRow.id.in_(entry_ids)).values(updated_at=when))


def stale_entries(
    session: Session,
    bank_id: int,
    *,
    before: datetime,
    source: str | None = None,
    enabled_only: bool = False,
    limit: int = 1000,
) -> list[EntryRow]:
    """Up to ``limit`` entries of the bank (of ``source``) not touched since ``before``."""
    query = (
        select(EntryRow)
        .options(selectinload(EntryRow.signals))
        .where(EntryRow.bank_id == bank_id, EntryRow.updated_at < before)
    )
    if source is not None:
        query = query.where(EntryRow.source == source, EntryRow.source_id.is_not(None))
    if enabled_only:
        query = query.where(EntryRow.disable_until_ts != 0)
    return list(session.scalars(query.order_by(EntryRow.id).limit(limit)))


def source_entry_count(session: Session, bank_id: int, source: str) -> int:
    """How many entries of ``source`` the bank holds."""
    return int(
        session.scalar(
            select(func.count(EntryRow.id)).where(
                EntryRow.bank_id == bank_id, EntryRow.source == source
            )
        )
        or 0
    )


# -- the catalog feed: what servers keep in memory ----------------------------------------


def _entry_info(row: EntryRow) -> EntryInfo:
    return EntryInfo(
        entry_id=row.id,
        bank_id=row.bank_id,
        category=row.category,
        tags=tuple(row.tags or ()),
        source=row.source,
        source_id=row.source_id,
        disable_until_ts=row.disable_until_ts,
    )


_CATALOG_COLUMNS = (
    SignalRow.id,
    SignalRow.signal_type,
    SignalRow.value,
    EntryRow.id,
    EntryRow.bank_id,
    EntryRow.category,
    EntryRow.tags,
    EntryRow.source,
    EntryRow.source_id,
    EntryRow.disable_until_ts,
)


def _catalog_signal(row: Any) -> CatalogSignal:
    sid, st, value, eid, bank_id, category, tags, source, source_id, until = row
    entry = EntryInfo(eid, bank_id, category, tuple(tags or ()), source, source_id, until)
    return int(sid), str(st), str(value), entry


def iter_catalog(session: Session, *, batch: int = 100_000) -> Iterator[list[CatalogSignal]]:
    """Every signal with its entry, in signal id order, a batch at a time (full loads)."""
    after = 0
    while True:
        rows = session.execute(
            select(*_CATALOG_COLUMNS)
            .join(EntryRow, SignalRow.entry_id == EntryRow.id)
            .where(SignalRow.id > after)
            .order_by(SignalRow.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield [_catalog_signal(r) for r in rows]
        after = int(rows[-1][0])


def catalog_signals(
    session: Session, runs: Sequence[tuple[int, int]], *, page: int = 5000
) -> list[CatalogSignal]:
    """The signals of these runs of ids ((first, last), as the change feed names them) with
    their entries; gone ones are absent. Lone ids are read by list, runs by id range."""
    out: list[CatalogSignal] = []
    lone = [a for a, b in runs if a == b]
    ranges = [
        (lo, min(b, lo + page - 1)) for a, b in runs if a != b for lo in range(a, b + 1, page)
    ]
    conditions = [SignalRow.id.in_(lone[i : i + 1000]) for i in range(0, len(lone), 1000)]
    conditions += [SignalRow.id.between(lo, hi) for lo, hi in ranges]
    for condition in conditions:
        rows = session.execute(
            select(*_CATALOG_COLUMNS)
            .join(EntryRow, SignalRow.entry_id == EntryRow.id)
            .where(condition)
        )
        out.extend(_catalog_signal(r) for r in rows)
    return out


def catalog_entries(session: Session, entry_ids: Sequence[int]) -> list[EntryInfo]:
    """These entries as lookups see them; gone ones are absent."""
    out: list[EntryInfo] = []
    for start in range(0, len(entry_ids), 1000):
        rows = session.scalars(
            select(EntryRow).where(EntryRow.id.in_(entry_ids[start : start + 1000]))
        )
        out.extend(_entry_info(r) for r in rows)
    return out


def catalog_banks(session: Session) -> list[BankInfo]:
    """Every bank as lookups see it."""
    return [
        BankInfo(r.id, r.name, r.pdq_threshold, r.matching_enabled_ratio)
        for r in session.scalars(select(BankRow))
    ]


def newest_change(session: Session) -> int:
    """The newest sequence number of the change feed (0 when empty)."""
    return int(session.scalar(select(func.max(ChangeRow.seq))) or 0)


CHANGES_BATCH = 10_000
"""Changes a follower reads at once. PostgreSQL without statistics on ``changes`` (after a
bulk import, or with autovacuum off) guesses that a fifth of the table follows any ``seq``;
while that guess is under the limit it plans a full scan and a sort for every poll instead
of reading the index from ``seq``. With 100,000 that was every table up to ~250k changes
(~20 ms a scan, twice a second per worker); with 10,000 only tables up to ~70k, whose scans
cost a few ms."""


def changes_after(
    session: Session, seq: int, *, limit: int = CHANGES_BATCH
) -> list[tuple[int, str, int, int]]:
    """(seq, kind, object id, last id) of the changes after ``seq``, in order, ``limit`` at
    most. The last id is the object id but for a ``signal+`` row naming a run of signals."""
    rows = session.execute(
        select(
            ChangeRow.seq,
            ChangeRow.kind,
            ChangeRow.object_id,
            func.coalesce(ChangeRow.last_id, ChangeRow.object_id),
        )
        .where(ChangeRow.seq > seq)
        .order_by(ChangeRow.seq)
        .limit(limit)
    )
    return [(int(a), str(b), int(c), int(d)) for a, b, c, d in rows]


def change_time(session: Session, upto_seq: int | None) -> int:
    """Unix time of the newest signal change with seq <= ``upto_seq`` (0 if none)."""
    query = select(func.max(ChangeRow.created_at)).where(ChangeRow.kind.in_(["signal+", "signal-"]))
    if upto_seq is not None:
        query = query.where(ChangeRow.seq <= upto_seq)
    created = session.scalar(query)
    return int(created.timestamp()) if created is not None else 0


def signal_count(session: Session, signal_type: str) -> int:
    """How many signals of a type the banks hold."""
    query = select(func.count(SignalRow.id)).where(SignalRow.signal_type == signal_type)
    return int(session.scalar(query) or 0)
