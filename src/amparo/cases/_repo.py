"""All SQL against ``cases``, ``case_items`` and ``case_exports``; rows never leave it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.cases.base import CaseItem, CaseSummary, ItemKind
from amparo.errors import ConflictError, NotFoundError
from amparo.store import CaseExportRow, CaseItemRow, CaseRow

__all__ = ["add_export", "add_item", "create", "get", "list_all"]


def _summary(s: Session, row: CaseRow) -> CaseSummary:
    items = s.execute(
        select(CaseItemRow.kind, CaseItemRow.ref)
        .where(CaseItemRow.case_id == row.id)
        .order_by(CaseItemRow.id)
    )
    return CaseSummary(
        row.id,
        row.name,
        row.description,
        row.created_at,
        row.created_by,
        tuple(CaseItem(_kind(k), r) for k, r in items),
    )


def _kind(value: str) -> ItemKind:
    return "sighting" if value == "sighting" else "scan"


def create(s: Session, name: str, description: str | None, by: str) -> CaseSummary:
    """A new case, or :class:`ConflictError` when the name is taken."""
    if s.scalars(select(CaseRow.id).where(CaseRow.name == name)).first() is not None:
        raise ConflictError(f"a case named {name!r} exists", hint="choose another name")
    row = CaseRow(name=name, description=description, created_by=by)
    s.add(row)
    try:
        s.flush()
    except IntegrityError:
        raise ConflictError(f"a case named {name!r} exists", hint="choose another name") from None
    return _summary(s, row)


def get(s: Session, name: str) -> CaseSummary:
    """The case named ``name``, or :class:`NotFoundError`."""
    row = s.scalars(select(CaseRow).where(CaseRow.name == name)).first()
    if row is None:
        raise NotFoundError(f"no case named {name!r}", hint="list cases with: amparo case list")
    return _summary(s, row)


def list_all(s: Session) -> list[CaseSummary]:
    """Every case, oldest first."""
    return [_summary(s, r) for r in s.scalars(select(CaseRow).order_by(CaseRow.id))]


def add_item(s: Session, case_id: int, item: CaseItem) -> bool:
    """Add ``item``; False when the case holds it already."""
    exists = s.scalars(
        select(CaseItemRow.id).where(
            CaseItemRow.case_id == case_id,
            CaseItemRow.kind == item.kind,
            CaseItemRow.ref == item.ref,
        )
    ).first()
    if exists is not None:
        return False
    s.add(CaseItemRow(case_id=case_id, kind=item.kind, ref=item.ref))
    s.flush()
    return True


def add_export(
    s: Session,
    *,
    case_id: int,
    export_id: str,
    recipient: str,
    case_json_sha256: str,
    files: int,
    by: str,
) -> None:
    """Record an export."""
    s.add(
        CaseExportRow(
            export_id=export_id,
            case_id=case_id,
            recipient=recipient,
            content_sha256=case_json_sha256,
            files=files,
            exported_by=by,
        )
    )
    s.flush()
