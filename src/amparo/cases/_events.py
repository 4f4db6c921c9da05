"""Events of case packages: what the ledger records of every case, item and export."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = [
    "CaseCreated",
    "CaseExportFailed",
    "CaseExportSealed",
    "CaseExported",
    "CaseItemAdded",
]


@dataclass(frozen=True)
class CaseCreated(Event):
    """A case was opened, by whom."""

    kind = "case.create"

    case_id: int
    name: str
    by: str


@dataclass(frozen=True)
class CaseItemAdded(Event):
    """A sighting or scan was added to a case."""

    kind = "case.add"

    case_id: int
    item_kind: str
    ref: str
    by: str


@dataclass(frozen=True)
class CaseExported(Event):
    """A case was exported for ``recipient`` (an age public key): the archive's
    ``case.json`` (which lists every content file's SHA-256) has ``case_json_sha256``; the
    vault files read for it are named. The archive carries this entry's proof."""

    kind = "case.export"

    case_id: int
    export_id: str
    recipient: str
    case_json_sha256: str
    files: int
    vault_ids: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class CaseExportFailed(Event):
    """An export was abandoned (nothing was left on disk): why, and which vault files had
    been read for it."""

    kind = "case.export_failed"

    case_id: int
    export_id: str
    recipient: str
    reason: str
    vault_ids: tuple[str, ...]
    by: str


@dataclass(frozen=True)
class CaseExportSealed(Event):
    """The archive of export ``export_id`` is complete: its ``MANIFEST.sha256`` (which lists
    every other file's SHA-256, proofs and custody included) has ``manifest_sha256``. The
    archive's ``SEAL.tlog-proof`` proves this entry."""

    kind = "case.export_seal"

    case_id: int
    export_id: str
    manifest_sha256: str
