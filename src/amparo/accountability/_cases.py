"""Case packages' sources with sightings: a sighting's platform, URL and first sight, the
media its intake sealed in the vault, and its notice and removal timeline with the ledger
entries behind each step. Scans come from :class:`amparo.cases.VaultSources`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from amparo.accountability._model import Sighting
from amparo.accountability._sightings import get_sighting
from amparo.accountability._timeline import sighting_timeline
from amparo.cases import CaseItem, EvidenceInfo, ItemInfo, TimelineEvent, VaultSources
from amparo.errors import NotFoundError
from amparo.store import UnitOfWork

__all__ = ["SightingSources"]


class SightingSources(VaultSources):
    """:class:`~amparo.cases.CaseSources` for scans and sightings (bound by the runtime)."""

    def _sighting(self, uow: UnitOfWork, item: CaseItem) -> Sighting | None:
        if item.kind != "sighting" or not item.ref.isdigit():
            return None
        try:
            return get_sighting(uow, int(item.ref))
        except NotFoundError:
            return None

    def describe(self, uow: UnitOfWork, item: CaseItem) -> ItemInfo | None:
        found = self._sighting(uow, item)
        if found is None:
            return super().describe(uow, item)
        state = f"removed ({found.removal_kind})" if found.removed_at else found.state
        return ItemInfo(
            item,
            f"sighting on {found.platform}, found by {found.found_by}; {state}",
            platform=found.platform,
            url=found.url,
            first_seen=found.first_seen_at,
            sha256=found.sha256,
        )

    def evidence(self, uow: UnitOfWork, item: CaseItem) -> Sequence[EvidenceInfo]:
        found = self._sighting(uow, item)
        if found is None:
            return super().evidence(uow, item)
        info = self.vault_item(uow, found.evidence_id)
        return (info,) if info is not None else ()

    def timeline(self, uow: UnitOfWork, item: CaseItem) -> Sequence[TimelineEvent]:
        found = self._sighting(uow, item)
        if found is None:
            return super().timeline(uow, item)
        return tuple(
            TimelineEvent(
                step.at,
                step.event,
                json.dumps(step.detail, sort_keys=True, default=str),
                step.ledger[0].seq if step.ledger else None,
            )
            for step in sighting_timeline(uow, found.id)
        )

    def ledger_entries(self, uow: UnitOfWork, item: CaseItem) -> Sequence[int]:
        found = self._sighting(uow, item)
        if found is None:
            return super().ledger_entries(uow, item)
        steps = sighting_timeline(uow, found.id)
        return sorted({ref.seq for step in steps for ref in step.ledger})
