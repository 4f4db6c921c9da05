"""The scans' repository: all SQL on ``scans``, and the stored scan as auditors read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from amparo.errors import InputError, NotFoundError
from amparo.scan._model import ScanRecord
from amparo.store import ScanRow

__all__ = ["MAX_PAGE", "StoredScan", "get_scan", "insert_scans", "list_scans"]

MAX_PAGE = 1000
"""The most scans one :func:`list_scans` call returns."""


@dataclass(frozen=True)
class StoredScan:
    """One scan as recorded: what was seen (hashes, never media) and matched, when, from
    which source and with which API key, what the policy decided (``decision``) and the
    caller's content metadata (``content``). Prompts found in a file stay in the record and are
    left out here: this is what auditors and the API see."""

    scan_id: str
    created_at: datetime
    source: str
    filename: str | None
    hashes: Mapping[str, str]
    pdq_quality: int | None
    matches: tuple[Mapping[str, Any], ...]
    provenance: Mapping[str, Any] | None
    key_id: int | None
    decision: Mapping[str, Any] | None = None
    content: Mapping[str, str] | None = None

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``GET /v1/scans`` (no prompts)."""
        return {
            "scan_id": self.scan_id,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "filename": self.filename,
            "hashes": dict(self.hashes),
            "pdq_quality": self.pdq_quality,
            "matched": self.matched,
            "matches": [dict(m) for m in self.matches],
            "provenance": dict(self.provenance) if self.provenance is not None else None,
            "key_id": self.key_id,
            "decision": dict(self.decision) if self.decision is not None else None,
            "content": dict(self.content) if self.content is not None else None,
        }


def _without_prompts(provenance: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if provenance is None:
        return None
    evidence = [
        {k: v for k, v in item.items() if k != "prompt"} for item in provenance.get("evidence", [])
    ]
    return {**provenance, "evidence": evidence}


def _stored(row: ScanRow) -> StoredScan:
    hashes = {k: v for k, v in (("md5", row.md5), ("sha256", row.sha256), ("pdq", row.pdq)) if v}
    return StoredScan(
        scan_id=row.id,
        created_at=row.created_at,
        source=row.source,
        filename=row.filename,
        hashes=hashes,
        pdq_quality=row.pdq_quality,
        matches=tuple(row.matches or ()),
        provenance=_without_prompts(row.provenance),
        key_id=row.key_id,
        decision=row.decision,
        content=row.content,
    )


def insert_scans(session: Session, records: Sequence[ScanRecord]) -> None:
    """Insert scan records in one statement."""
    if records:
        # Core, not the ORM's bulk insert: it spends more per row than the database does.
        table = ScanRow.metadata.tables[ScanRow.__tablename__]
        session.execute(insert(table), [r.row() for r in records])


def get_scan(session: Session, scan_id: str) -> StoredScan:
    """The scan with this id, or :class:`NotFoundError`."""
    row = session.get(ScanRow, scan_id)
    if row is None:
        raise NotFoundError(
            f"no scan with id {scan_id!r}", hint="scan ids come from a scan's answer (scan_id)"
        )
    return _stored(row)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def list_scans(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    matched: bool | None = None,
    source: str | None = None,
    key_id: int | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[StoredScan]:
    """Scans in the order they were made (time, then id), filtered: made at or after
    ``since`` and before ``until`` (naive times are UTC), with or without a match, from
    ``source`` (upload, url, cli, hash), with API key ``key_id``. ``after`` is the last scan
    id of the previous page; ``limit`` is capped at :data:`MAX_PAGE`."""
    if since is not None and until is not None and _utc(since) >= _utc(until):
        raise InputError("since must be before until", hint="give an earlier since")
    query: Select[ScanRow] = select(ScanRow)
    if since is not None:
        query = query.where(ScanRow.created_at >= _utc(since))
    if until is not None:
        query = query.where(ScanRow.created_at < _utc(until))
    if matched is not None:
        count = func.json_array_length(ScanRow.matches)
        query = query.where(count > 0 if matched else count == 0)
    if source is not None:
        query = query.where(ScanRow.source == source)
    if key_id is not None:
        query = query.where(ScanRow.key_id == key_id)
    if after is not None:
        previous = session.get(ScanRow, after)
        if previous is None:
            raise InputError(
                f"after={after!r} is not a scan id", hint="pass the last scan_id of a page"
            )
        at = previous.created_at
        query = query.where(
            or_(ScanRow.created_at > at, and_(ScanRow.created_at == at, ScanRow.id > after))
        )
    query = query.order_by(ScanRow.created_at, ScanRow.id).limit(max(1, min(limit, MAX_PAGE)))
    return [_stored(row) for row in session.scalars(query)]
