"""Values of case packages, and :class:`CaseSources`: what a case's items are made of.

A case holds sightings and scans by id. What they are (URL, platform, when first seen), the
evidence the vault keeps of them, its custody record, the notice and removal timeline and
the ledger entries behind it all belong to other packages (accountability, evidence); they
reach case packages through :class:`CaseSources`, bound per runtime by whoever assembles the
system. Reading evidence through it is a vault access: the vault records it in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from amparo.auth import Principal
from amparo.store import UnitOfWork

__all__ = [
    "ITEM_KINDS",
    "CaseItem",
    "CaseSources",
    "CaseSummary",
    "CustodyEvent",
    "EvidenceInfo",
    "ExportReport",
    "ItemInfo",
    "ItemKind",
    "TimelineEvent",
    "VerifyReport",
]

ItemKind = Literal["sighting", "scan"]
ITEM_KINDS: tuple[ItemKind, ...] = ("sighting", "scan")


@dataclass(frozen=True)
class CaseItem:
    """A reference to one item of a case: a sighting or a scan, by id."""

    kind: ItemKind
    ref: str

    def text(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class ItemInfo:
    """What is known of an item, for the manifest and the summary (never media)."""

    item: CaseItem
    summary: str
    platform: str | None = None
    url: str | None = None
    first_seen: datetime | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class EvidenceInfo:
    """One file the vault preserves for an item: its id there, digest, size and type."""

    vault_id: str
    sha256: str
    size: int
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class CustodyEvent:
    """One step in the custody of a vault item: who did what, when, why; the ledger entry
    that records it."""

    at: datetime
    actor: str
    action: str
    reason: str
    ledger_entry: int | None


@dataclass(frozen=True)
class TimelineEvent:
    """One step of an item's notice and removal timeline (found, noticed, answered, checked,
    removed, re-uploaded) and the ledger entry that records it."""

    at: datetime
    what: str
    detail: str
    ledger_entry: int | None


class CaseSources(Protocol):
    """Where a case's items come from (bound to the accountability and evidence packages)."""

    def describe(self, uow: UnitOfWork, item: CaseItem) -> ItemInfo | None:
        """The item, or None when there is no such sighting or scan."""
        ...

    def evidence(self, uow: UnitOfWork, item: CaseItem) -> Sequence[EvidenceInfo]:
        """The vault's files of the item (none for an item the vault does not hold)."""
        ...

    def read_evidence(
        self, uow: UnitOfWork, vault_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        """The plaintext of one vault file; the vault records the access in ``uow``."""
        ...

    def custody(self, uow: UnitOfWork, vault_id: str) -> Sequence[CustodyEvent]:
        """Every recorded step in the custody of a vault file, oldest first."""
        ...

    def timeline(self, uow: UnitOfWork, item: CaseItem) -> Sequence[TimelineEvent]:
        """The item's notice and removal timeline, oldest first."""
        ...

    def ledger_entries(self, uow: UnitOfWork, item: CaseItem) -> Sequence[int]:
        """Ledger entries about the item beyond its timeline and custody (e.g. the scan)."""
        ...


@dataclass(frozen=True)
class CaseSummary:
    """A case and its items."""

    case_id: int
    name: str
    description: str | None
    created_at: datetime
    created_by: str | None
    items: tuple[CaseItem, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "items": [i.text() for i in self.items],
        }


@dataclass(frozen=True)
class ExportReport:
    """One archive written: where, its id, how many files and proofs, the checkpoint."""

    path: str
    export_id: str
    files: int
    evidence_files: int
    proofs: int
    checkpoint_size: int
    case_json_sha256: str

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "export_id": self.export_id,
            "files": self.files,
            "evidence_files": self.evidence_files,
            "proofs": self.proofs,
            "checkpoint_size": self.checkpoint_size,
            "case_json_sha256": self.case_json_sha256,
        }


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking an archive: ``problems`` names everything changed."""

    files: int
    proofs: int
    origin: str | None
    checkpoint_size: int | None
    key_from_archive: bool
    evidence_decrypted: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "proofs": self.proofs,
            "origin": self.origin,
            "checkpoint_size": self.checkpoint_size,
            "key_from_archive": self.key_from_archive,
            "evidence_decrypted": self.evidence_decrypted,
            "problems": list(self.problems),
        }
