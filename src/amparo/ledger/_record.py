"""Writing entries: :func:`append` (typed events) and :func:`count_scans`, inside the
caller's transaction.

A record is canonical JSON (sorted keys, no spaces, UTF-8) of an envelope around one
:class:`~amparo.events.Event`: ``{"data": ..., "kind": ..., "schema": ..., "time": ...,
"v": 2}``, where ``data`` is the event's own record schema and ``schema`` its version.
Records written by release 0.1.0 have ``"v": 1`` and no ``schema``; they verify the same
way, since verification recomputes commitments from the stored bytes. The public log holds
only ``SHA-256(salt || record)`` with a fresh 32-byte salt, so the log reveals nothing about
the record until the record and salt are disclosed. Nothing here commits: the entry exists
exactly when the caller's change does.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from amparo.errors import InputError
from amparo.events import Event
from amparo.store import LedgerEntryRow, LedgerScanTickRow, utcnow

__all__ = ["MAX_RECORD_BYTES", "append", "canonical_record", "commitment", "count_scans"]

MAX_RECORD_BYTES = 64 * 1024
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_ENTRIES = cast(Table, LedgerEntryRow.__table__)
_TICKS = cast(Table, LedgerScanTickRow.__table__)
# Built once: constructing an INSERT per call costs more than executing it. Each entry's id
# comes back with its commitment (unique: a fresh salt each), so the rows may return in any
# order: asking the database to keep their order costs SQLite one statement per row.
_INSERT_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id, _ENTRIES.c.commitment)
_INSERT_TICK = insert(_TICKS)


def canonical_record(event: Event, when: datetime) -> bytes:
    """The exact bytes that are committed to for ``event`` logged at ``when``."""
    kind = event.kind
    if not _KIND.match(kind) or len(kind) > 64:
        raise InputError(
            f"ledger entry kind {kind!r} is not a dotted lower-case name of up to 64 characters",
            hint="use names like 'scan.match' or 'bank.update'",
        )
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        body = {
            "v": 2,
            "kind": kind,
            "schema": event.version,
            "time": stamp,
            "data": event.record(),
        }
        text = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"ledger entry {kind!r} holds data that is not plain JSON: {exc}",
            hint="event fields are str, int, float, bool, None, tuples and nested facts",
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


def _row(event: Event) -> dict[str, object]:
    now = utcnow()
    raw = canonical_record(event, now)
    salt = secrets.token_bytes(32)
    return {
        "kind": event.kind,
        "created_at": now,
        "record": raw,
        "salt": salt,
        "commitment": commitment(salt, raw),
    }


def append(session: Session, events: Sequence[Event]) -> list[int]:
    """Append one entry per event in the caller's transaction (no commit), in one statement;
    return their sequence numbers, in order.

    The sequence number identifies the entry (``amparo ledger prove SEQ``); its position in
    the Merkle tree is assigned when committed entries are integrated. Raises
    :class:`~amparo.errors.InputError` for a bad kind, non-JSON data or a record over 64 KiB.
    Events carry no media, and hashes of media only where auditors may see them.
    """
    if not events:
        return []
    rows = [_row(event) for event in events]
    ids = {bytes(c): int(i) for i, c in session.execute(_INSERT_ENTRY, rows)}
    return [ids[cast(bytes, row["commitment"])] for row in rows]


def count_scans(session: Session, scans: int) -> None:
    """Count ``scans`` scans (matched or not) towards the next ``scan.tally`` entry.

    Each call adds a row that the next tally sums and removes in one transaction, so every
    committed count is counted exactly once and writers never contend on a shared counter.
    """
    if scans > 0:
        session.execute(_INSERT_TICK, {"created_at": utcnow(), "scans": scans})
