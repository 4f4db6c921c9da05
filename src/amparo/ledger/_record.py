"""Writing entries: :func:`record` and :func:`note_scan`, inside the caller's transaction.

A record is canonical JSON ``{"data": ..., "kind": ..., "time": ..., "v": 1}`` (sorted keys,
no spaces, UTF-8). The public log holds only ``SHA-256(salt || record)`` with a fresh 32-byte
salt, so the log reveals nothing about the record until the record and salt are disclosed.
Neither function commits: the entry exists exactly when the caller's change does.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from amparo.errors import InputError
from amparo.store._base import utcnow
from amparo.store._ledger_tables import LedgerEntryRow, LedgerScanTickRow

__all__ = [
    "MAX_RECORD_BYTES",
    "canonical_record",
    "commitment",
    "note_scan",
    "record",
    "record_many",
]

MAX_RECORD_BYTES = 64 * 1024
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_ENTRIES = cast(Table, LedgerEntryRow.__table__)
_TICKS = cast(Table, LedgerScanTickRow.__table__)
# Built once: constructing an INSERT per call costs more than executing it.
_INSERT_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id, sort_by_parameter_order=True)
_INSERT_TICK = insert(_TICKS)


def canonical_record(kind: str, data: Mapping[str, object], when: datetime) -> bytes:
    """The exact bytes that are committed to for an entry of ``kind`` with ``data``."""
    if not _KIND.match(kind) or len(kind) > 64:
        raise InputError(
            f"ledger entry kind {kind!r} is not a dotted lower-case name of up to 64 characters",
            hint="use names like 'scan.match' or 'bank.update'",
        )
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"v": 1, "kind": kind, "time": stamp, "data": dict(data)}
    try:
        text = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"ledger entry {kind!r} holds data that is not plain JSON: {exc}",
            hint="pass only str, int, float, bool, None, lists and string-keyed mappings",
        ) from None
    raw = text.encode()
    if len(raw) > MAX_RECORD_BYTES:
        raise InputError(
            f"ledger entry {kind!r} is {len(raw)} bytes; the limit is {MAX_RECORD_BYTES}",
            hint="record identifiers and summaries, not whole documents",
        )
    return raw


def commitment(salt: bytes, record_bytes: bytes) -> bytes:
    """``SHA-256(salt || record)``: the leaf data the public log holds for an entry."""
    return hashlib.sha256(salt + record_bytes).digest()


def _row(kind: str, data: Mapping[str, object]) -> dict[str, object]:
    now = utcnow()
    raw = canonical_record(kind, data, now)
    salt = secrets.token_bytes(32)
    return {
        "kind": kind,
        "created_at": now,
        "record": raw,
        "salt": salt,
        "commitment": commitment(salt, raw),
    }


def record(session: Session, kind: str, data: Mapping[str, object]) -> int:
    """Append one entry in the caller's transaction (no commit); return its sequence number.

    The sequence number identifies the entry (``amparo ledger prove SEQ``); its position in
    the Merkle tree is assigned when committed entries are integrated. Raises
    :class:`~amparo.errors.InputError` for a bad kind, non-JSON data or a record over 64 KiB.
    Never put media or hashes of media in ``data`` unless they may be disclosed to auditors.
    """
    return int(session.execute(_INSERT_ENTRY, _row(kind, data)).scalar_one())


def record_many(session: Session, entries: Sequence[tuple[str, Mapping[str, object]]]) -> list[int]:
    """:func:`record` for many ``(kind, data)`` pairs in one statement; sequence numbers in
    order. For bulk writers (imports, exchange fetches): one round trip instead of many."""
    if not entries:
        return []
    rows = [_row(kind, data) for kind, data in entries]
    return [int(i) for i in session.execute(_INSERT_ENTRY, rows).scalars()]


def note_scan(session: Session) -> None:
    """Count one scan (matched or not) towards the next ``scan.tally`` entry.

    Called once per scan in the scan's transaction. Each scan adds a row that the next tally
    counts and removes in one transaction, so every committed scan is counted exactly once
    and concurrent scans never contend on a shared counter.
    """
    session.execute(_INSERT_TICK, {"created_at": utcnow()})
