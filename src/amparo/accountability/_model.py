"""Values and interfaces of accountability: platforms, sightings, notices, the evidence
sink and a platform's reporting API. Plain frozen values; nothing here does I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from amparo.evidence import Vault
from amparo.store import UnitOfWork

__all__ = [
    "AI_VERDICTS",
    "CHANNELS",
    "Channel",
    "EvidenceSink",
    "Notice",
    "NoticeAdapter",
    "Platform",
    "Sighting",
    "VaultSink",
]

Channel = Literal["email", "webhook", "api"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook", "api")
"""Notice channels: an e-mail address, a webhook URL, or a named reporting-API adapter."""

AI_VERDICTS = frozenset({"declared_ai", "likely_ai"})
"""Provenance verdicts that count an item as AI-generated in the conduct metrics."""


class EvidenceSink(Protocol):
    """Where a sighting's bytes are preserved (the evidence vault), in the caller's unit of
    work. The only place the bytes go: a sighting keeps the returned id and the hashes.

    ``preserve`` must not commit; it raises an :class:`amparo.errors.AmparoError` when it
    cannot keep the bytes, and then nothing of the sighting is recorded.
    """

    def preserve(
        self, uow: UnitOfWork, data: bytes, *, source: str, url: str, sha256: str
    ) -> str: ...


@dataclass(frozen=True)
class Notice:
    """One notice as a platform receives it: what DSA Art. 16(2) asks for."""

    sighting_id: int
    number: int
    platform: str
    url: str
    explanation: str
    notifier_name: str
    notifier_email: str | None
    trusted_flagger: bool
    escalated: bool
    sha256: str
    first_seen_at: datetime
    good_faith: str = (
        "I confirm my bona fide belief that the information and allegations contained in "
        "this notice are accurate and complete."
    )

    @property
    def subject(self) -> str:
        escalated = "ESCALATED " if self.escalated else ""
        return f"{escalated}DSA Art. 16 notice #{self.number}: illegal content at {self.url}"

    def text(self) -> str:
        """The notice as plain text (the e-mail body; the digest the ledger keeps)."""
        lines = [
            f"Notice of illegal content under Article 16 of Regulation (EU) 2022/2065 (DSA)"
            f" - notice {self.number} about this item.",
            "",
            f"Exact electronic location (URL): {self.url}",
            f"First seen: {self.first_seen_at.isoformat()}",
            f"SHA-256 of the content served: {self.sha256}",
            "",
            f"Why the content is illegal: {self.explanation}",
            "",
            f"Notifier: {self.notifier_name}"
            + (f" <{self.notifier_email}>" if self.notifier_email else ""),
            f"Trusted flagger (DSA Art. 22): {'yes' if self.trusted_flagger else 'no'}",
            "",
            self.good_faith,
        ]
        if self.escalated:
            lines[1:1] = [
                "",
                f"This item is still online after {self.number - 1} earlier notices; this "
                "notice is escalated to your legal contact.",
            ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The JSON a webhook or a reporting API receives."""
        return {
            "type": "dsa_article_16_notice",
            "sighting_id": self.sighting_id,
            "notice_number": self.number,
            "platform": self.platform,
            "url": self.url,
            "explanation": self.explanation,
            "sha256": self.sha256,
            "first_seen_at": self.first_seen_at.isoformat(),
            "notifier": {"name": self.notifier_name, "email": self.notifier_email},
            "trusted_flagger": self.trusted_flagger,
            "escalated": self.escalated,
            "good_faith_statement": self.good_faith,
        }


class NoticeAdapter(Protocol):
    """A platform's reporting API. ``send`` delivers one notice and returns the platform's
    answer (e.g. its ticket id) as text, or raises :class:`amparo.errors.FetchError` (or
    another :class:`amparo.errors.AmparoError`) when delivery failed."""

    def send(self, notice: Notice) -> str: ...


@dataclass(frozen=True)
class Platform:
    """A configured platform: where its items live, where notices go, who to escalate to."""

    id: int
    name: str
    hostnames: tuple[str, ...]
    channel: Channel
    channel_target: str
    legal_contact: str | None
    trusted_flagger: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "hostnames": list(self.hostnames),
            "channel": self.channel,
            "channel_target": self.channel_target,
            "legal_contact": self.legal_contact,
            "trusted_flagger": self.trusted_flagger,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Sighting:
    """A recorded sighting and where its notices and takedown checks stand."""

    id: int
    platform: str
    url: str
    first_seen_at: datetime
    found_by: str
    recorded_at: datetime
    scan_id: str | None
    evidence_id: str
    md5: str
    sha256: str
    pdq: str | None
    ai_verdict: str | None
    matched_banks: tuple[str, ...]
    state: str
    notices_sent: int
    first_notice_at: datetime | None
    next_notice_at: datetime | None
    next_check_at: datetime | None
    last_outcome: str | None
    removed_at: datetime | None
    removal_kind: str | None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "platform": self.platform,
            "url": self.url,
            "first_seen_at": self.first_seen_at.isoformat(),
            "found_by": self.found_by,
            "recorded_at": self.recorded_at.isoformat(),
            "scan_id": self.scan_id,
            "evidence_id": self.evidence_id,
            "md5": self.md5,
            "sha256": self.sha256,
            "pdq": self.pdq,
            "ai_verdict": self.ai_verdict,
            "matched_banks": list(self.matched_banks),
            "state": self.state,
            "notices_sent": self.notices_sent,
            "first_notice_at": iso(self.first_notice_at),
            "next_notice_at": iso(self.next_notice_at),
            "next_check_at": iso(self.next_check_at),
            "last_outcome": self.last_outcome,
            "removed_at": iso(self.removed_at),
            "removal_kind": self.removal_kind,
        }


class VaultSink:
    """The evidence vault as the place sightings' bytes go, built on first use."""

    def __init__(self, vault: Callable[[], Vault]) -> None:
        self._vault = vault

    def preserve(self, uow: UnitOfWork, data: bytes, *, source: str, url: str, sha256: str) -> str:
        return self._vault().preserve(uow, data, source=source).item_id
