"""Use cases: open a case, add items, list and read cases."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from amparo.auth import Principal
from amparo.cases import _repo
from amparo.cases._events import CaseCreated, CaseItemAdded
from amparo.cases.base import ITEM_KINDS, CaseItem, CaseSources, CaseSummary
from amparo.errors import InputError, NotFoundError
from amparo.store import UnitOfWork

__all__ = [
    "CASE_ROLES",
    "Transactional",
    "add_items",
    "create_case",
    "get_case",
    "list_cases",
    "parse_item",
]

CASE_ROLES = ("investigator",)
"""Roles that may open, fill and export cases (admin may too)."""

_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Transactional(Protocol):
    """Anything that opens units of work (the runtime)."""

    def session(self) -> AbstractContextManager[UnitOfWork]: ...


def parse_item(text: str) -> CaseItem:
    """``sighting:ID`` or ``scan:ID``; a bare UUID is a scan, a bare number a sighting."""
    kind, sep, ref = text.strip().partition(":")
    if not sep:
        ref = kind
        kind = "scan" if _UUID.match(ref) else "sighting" if ref.isdigit() else ""
    if kind not in ITEM_KINDS or not _REF.match(ref):
        raise InputError(
            f"{text!r} is not a case item",
            hint="write sighting:ID or scan:ID (a bare UUID is a scan, a bare number a sighting)",
        )
    return CaseItem(
        "sighting" if kind == "sighting" else "scan", ref.lower() if kind == "scan" else ref
    )


def _check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise InputError(
            "a case name is 1 to 255 characters without control characters",
            hint="e.g. 'referral-2025-031'",
        )
    return name


def create_case(
    db: Transactional, name: str, *, description: str | None, principal: Principal
) -> CaseSummary:
    """Open a case; ledgered as ``case.create``."""
    principal.require(*CASE_ROLES)
    name = _check_name(name)
    if description is not None and len(description) > 4000:
        raise InputError("a case description is at most 4000 characters")
    with db.session() as s:
        case = _repo.create(s, name, description, principal.name)
        s.emit(CaseCreated(case_id=case.case_id, name=case.name, by=principal.name))
    return case


def add_items(
    db: Transactional,
    sources: CaseSources,
    name: str,
    items: Sequence[CaseItem],
    *,
    principal: Principal,
) -> tuple[list[CaseItem], list[CaseItem]]:
    """Add sightings and scans to a case, each ledgered as ``case.add``; return (added,
    already there). An item that does not exist is a :class:`NotFoundError` naming it, and
    then nothing is added."""
    principal.require(*CASE_ROLES)
    if not items:
        raise InputError("no items given", hint="name sightings or scans: sighting:ID scan:ID")
    added: list[CaseItem] = []
    present: list[CaseItem] = []
    with db.session() as s:
        case = _repo.get(s, name)
        missing = [i.text() for i in items if sources.describe(s, i) is None]
        if missing:
            raise NotFoundError(
                f"no such item(s): {', '.join(missing)}; nothing was added",
                hint="sighting ids come from amparo accountability, scan ids from a scan",
            )
        for item in dict.fromkeys(items):
            if _repo.add_item(s, case.case_id, item):
                added.append(item)
                s.emit(
                    CaseItemAdded(
                        case_id=case.case_id, item_kind=item.kind, ref=item.ref, by=principal.name
                    )
                )
            else:
                present.append(item)
    return added, present


def get_case(db: Transactional, name: str, *, principal: Principal) -> CaseSummary:
    """A case and its items."""
    principal.require(*CASE_ROLES)
    with db.session() as s:
        return _repo.get(s, name)


def list_cases(db: Transactional, *, principal: Principal) -> list[CaseSummary]:
    """Every case, oldest first."""
    principal.require(*CASE_ROLES)
    with db.session() as s:
        return _repo.list_all(s)
