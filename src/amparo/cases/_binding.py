"""Which :class:`CaseSources` the CLI and API use for a runtime, and the built-in one.

Whoever assembles the system binds the accountability and evidence packages' sources with
:func:`bind_sources`. Until then :class:`ScanSources` answers: scans are known (from the scan
records), sightings are not, and no item has vault evidence.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Sequence

from amparo import scan
from amparo.auth import Principal
from amparo.cases.base import (
    CaseItem,
    CaseSources,
    CustodyEvent,
    EvidenceInfo,
    ItemInfo,
    TimelineEvent,
)
from amparo.errors import NotFoundError
from amparo.evidence import Vault
from amparo.ledger import Ledger
from amparo.store import UnitOfWork

__all__ = ["ScanSources", "VaultSources", "bind_sources", "sources_for"]

_BOUND: weakref.WeakKeyDictionary[object, CaseSources] = weakref.WeakKeyDictionary()


class ScanSources:
    """Case sources from Amparo's scan records alone (no sightings, no vault)."""

    def describe(self, uow: UnitOfWork, item: CaseItem) -> ItemInfo | None:
        if item.kind != "scan":
            return None
        try:
            found = scan.get_scan(uow, item.ref)
        except NotFoundError:
            return None
        matched = ", ".join(sorted({str(m.get("bank", "?")) for m in found.matches}))
        return ItemInfo(
            item,
            f"scan from {found.source}" + (f", matched {matched}" if matched else ""),
            url=found.filename if found.source == "url" else None,
            first_seen=found.created_at,
            sha256=found.hashes.get("sha256"),
        )

    def evidence(self, uow: UnitOfWork, item: CaseItem) -> Sequence[EvidenceInfo]:
        return ()

    def read_evidence(
        self, uow: UnitOfWork, vault_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        raise NotFoundError(f"no vault item {vault_id!r}: no evidence vault is bound")

    def custody(self, uow: UnitOfWork, vault_id: str) -> Sequence[CustodyEvent]:
        return ()

    def timeline(self, uow: UnitOfWork, item: CaseItem) -> Sequence[TimelineEvent]:
        info = self.describe(uow, item)
        if info is None or info.first_seen is None:
            return ()
        return (TimelineEvent(info.first_seen, "scanned", info.summary, None),)

    def ledger_entries(self, uow: UnitOfWork, item: CaseItem) -> Sequence[int]:
        return ()


# The vault's custody events of an item, and what each did to it.
_CUSTODY = {
    "evidence.preserve": "preserved",
    "evidence.read": "read",
    "evidence.hold": "held",
    "evidence.release": "hold released",
    "evidence.purge": "purged",
}
# Listing the vault for an export is done by the export itself, as this role.
_EXPORTER = Principal(0, "case-export", "admin")


class VaultSources(ScanSources):
    """Scans with the media the evidence vault preserved for them (a policy's ``preserve``
    or ``quarantine``), its custody from the ledger's ``evidence.*`` entries."""

    def __init__(self, vault: Callable[[], Vault], ledger: Callable[[], Ledger]) -> None:
        self._vault = vault
        self._ledger = ledger

    def evidence(self, uow: UnitOfWork, item: CaseItem) -> Sequence[EvidenceInfo]:
        if item.kind != "scan":
            return ()
        found = self._vault().list_items(uow, principal=_EXPORTER, scan_id=item.ref)
        return tuple(
            EvidenceInfo(e.item_id, e.sha256, e.size, e.media_type or "application/octet-stream")
            for e in found
            if e.purged_at is None
        )

    def read_evidence(
        self, uow: UnitOfWork, vault_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        return self._vault().read(uow, vault_id, principal=principal, reason=reason)

    def vault_item(self, uow: UnitOfWork, vault_id: str) -> EvidenceInfo | None:
        """One vault item's digest, size and type; None once purged."""
        found = self._vault().show(uow, vault_id, principal=_EXPORTER)
        if found.purged_at is not None:
            return None
        return EvidenceInfo(
            found.item_id, found.sha256, found.size, found.media_type or "application/octet-stream"
        )

    def custody(self, uow: UnitOfWork, vault_id: str) -> Sequence[CustodyEvent]:
        events = []
        for d in self._ledger().entries_of_kinds(*_CUSTODY):
            data = json.loads(d.record_text).get("data", {})
            if data.get("item_id") == vault_id:
                actor = str(data.get("actor", "policy"))
                reason = str(data.get("reason", ""))
                events.append(
                    CustodyEvent(d.created_at, actor, _CUSTODY[d.kind], reason, d.entry_id)
                )
        return events


def bind_sources(owner: object, sources: CaseSources) -> None:
    """Use ``sources`` for cases handled through ``owner`` (a runtime)."""
    _BOUND[owner] = sources


def sources_for(owner: object) -> CaseSources:
    """The sources bound to ``owner``, or :class:`ScanSources`."""
    return _BOUND.get(owner, ScanSources())
