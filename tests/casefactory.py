"""In-memory case sources for tests: a tiny "vault" of benign bytes whose reads are ledgered,
timelines whose steps are real ledger entries. Stands in for the accountability and evidence
packages (the lead binds the real ones)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from amparo.auth import Principal
from amparo.cases import (
    CaseItem,
    CustodyEvent,
    EvidenceInfo,
    ItemInfo,
    TimelineEvent,
)
from amparo.events import Event
from amparo.runtime import Amparo
from amparo.store import UnitOfWork


@dataclass(frozen=True)
class VaultRead(Event):
    kind = "testvault.read"

    vault_id: str
    by: str
    reason: str


@dataclass(frozen=True)
class Noticed(Event):
    kind = "testnotice.sent"

    sighting: str
    platform: str


class MemorySources:
    """Sightings ``1..n`` with ``files`` vault files each (benign, deterministic bytes)."""

    def __init__(self, amparo: Amparo, sightings: int = 2, files: int = 2, size: int = 3000):
        self.amparo = amparo
        self.blobs: dict[str, bytes] = {}
        self.items: dict[str, list[str]] = {}
        self.notices: dict[str, int] = {}
        for n in range(1, sightings + 1):
            ids = []
            for k in range(files):
                vid = f"v{n}-{k}"
                seed = f"{vid}".encode()
                self.blobs[vid] = (hashlib.sha256(seed).digest() * (size // 32 + 1))[:size]
                ids.append(vid)
            self.items[str(n)] = ids
        with amparo.session() as s:
            for n in self.items:
                s.emit(Noticed(sighting=n, platform="ExampleTube"))
        for d in amparo.ledger.entries_of_kinds(Noticed.kind):
            self.notices[json.loads(d.record_text)["data"]["sighting"]] = d.entry_id
        self.reads = 0

    def describe(self, uow: UnitOfWork, item: CaseItem) -> ItemInfo | None:
        if item.kind != "sighting" or item.ref not in self.items:
            return None
        return ItemInfo(
            item,
            f"sighting {item.ref} on ExampleTube",
            platform="ExampleTube",
            url=f"https://example.test/v/{item.ref}",
            first_seen=datetime(2025, 3, 1, tzinfo=UTC),
        )

    def evidence(self, uow: UnitOfWork, item: CaseItem) -> Sequence[EvidenceInfo]:
        return [
            EvidenceInfo(
                v, hashlib.sha256(self.blobs[v]).hexdigest(), len(self.blobs[v]), "image/png"
            )
            for v in self.items.get(item.ref, [])
        ]

    def read_evidence(
        self, uow: UnitOfWork, vault_id: str, *, principal: Principal, reason: str
    ) -> bytes:
        self.reads += 1
        uow.emit(VaultRead(vault_id=vault_id, by=principal.name, reason=reason))
        return self.blobs[vault_id]

    def custody(self, uow: UnitOfWork, vault_id: str) -> Sequence[CustodyEvent]:
        out = []
        for d in self.amparo.ledger.entries_of_kinds(VaultRead.kind):
            data = json.loads(d.record_text)["data"]
            if data["vault_id"] == vault_id:
                out.append(
                    CustodyEvent(d.created_at, data["by"], "read", data["reason"], d.entry_id)
                )
        return out

    def timeline(self, uow: UnitOfWork, item: CaseItem) -> Sequence[TimelineEvent]:
        t0 = datetime(2025, 3, 1, tzinfo=UTC)
        return [
            TimelineEvent(t0, "found", "by crawler", None),
            TimelineEvent(
                t0 + timedelta(hours=1), "noticed", "Art. 16 notice", self.notices[item.ref]
            ),
            TimelineEvent(t0 + timedelta(days=2), "removed", "404", None),
        ]

    def ledger_entries(self, uow: UnitOfWork, item: CaseItem) -> Sequence[int]:
        return []
