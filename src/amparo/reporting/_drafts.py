"""Report drafts: stored, listed, read. All SQL on ``report_drafts`` is here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.errors import InputError, NotFoundError
from amparo.reporting._events import ReportDrafted
from amparo.reporting._facts import REPORT_KINDS, report_facts
from amparo.scan import ScanRecord
from amparo.store import ReportDraftRow, UnitOfWork

__all__ = ["MAX_PAGE", "ReportDraft", "draft_report", "get_draft", "list_drafts"]

MAX_PAGE = 1000
"""The most drafts one :func:`list_drafts` call returns."""


@dataclass(frozen=True)
class ReportDraft:
    """A stored draft: which report, about which scan, asked for by which rule, and its
    facts (see :func:`report_facts`). ``status`` is ``draft`` until a sender sends it."""

    id: int
    kind: str
    scan_id: str
    rule: str
    status: str
    facts: Mapping[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "scan_id": self.scan_id,
            "rule": self.rule,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "facts": dict(self.facts),
        }


def _draft(row: ReportDraftRow) -> ReportDraft:
    return ReportDraft(
        row.id, row.kind, row.scan_id, row.rule, row.status, row.facts, row.created_at
    )


def _check_kind(kind: str) -> str:
    if kind not in REPORT_KINDS:
        raise InputError(
            f"unknown report kind {kind!r}", hint=f"choose one of: {', '.join(REPORT_KINDS)}"
        )
    return kind


def draft_report(
    uow: UnitOfWork,
    kind: str,
    record: ScanRecord,
    meta: Mapping[str, str | None],
    *,
    rule: str,
) -> ReportDraft:
    """Store a ``kind`` report draft about ``record`` in ``uow`` (the scan's own unit of work,
    so the draft exists exactly when the scan does), and emit :class:`ReportDrafted`."""
    row = ReportDraftRow(
        kind=_check_kind(kind),
        scan_id=record.scan_id,
        rule=rule[:128],
        status="draft",
        facts=report_facts(kind, record, meta, rule=rule),
        created_at=record.created_at,
    )
    uow.add(row)
    uow.flush()
    uow.emit(ReportDrafted(row.id, kind, record.scan_id, row.rule))
    return _draft(row)


def list_drafts(
    session: Session,
    *,
    kind: str | None = None,
    scan_id: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[ReportDraft]:
    """Drafts in id order after ``after_id``, optionally of one kind or one scan."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be 1-{MAX_PAGE}", hint="page with after_id")
    query = select(ReportDraftRow).where(ReportDraftRow.id > after_id)
    if kind is not None:
        query = query.where(ReportDraftRow.kind == _check_kind(kind))
    if scan_id is not None:
        query = query.where(ReportDraftRow.scan_id == scan_id)
    rows = session.scalars(query.order_by(ReportDraftRow.id).limit(limit))
    return [_draft(r) for r in rows]


def get_draft(session: Session, draft_id: int) -> ReportDraft:
    """One draft, or :class:`NotFoundError`."""
    row = session.get(ReportDraftRow, draft_id)
    if row is None:
        raise NotFoundError(f"no report draft {draft_id}", hint="list them: amparo reports list")
    return _draft(row)
