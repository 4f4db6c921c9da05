"""What a decision makes happen, in its scan's transaction: the default effect.

One effect, in a fixed order, because later steps use earlier ones' results: the media is
sealed in the evidence vault first (``preserve``, and ``quarantine``, which keeps it out of
reach until a person decides), then the scan is queued for review with that evidence (the
console shows media only from the vault), then report drafts are stored with the scan's
facts, then webhooks are queued in the outbox (delivered after the commit, at least once,
by the runtime's ``webhooks`` worker): a crash never loses or doubles an action. Each step
emits its own ledger event in the same unit of work, so the scan, its decision and every
action it caused commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from amparo import actions, reporting, review
from amparo.evidence import Vault
from amparo.policy import Decision
from amparo.scan import ScanRecord
from amparo.store import UnitOfWork

__all__ = ["ApplyDecision"]


class ApplyDecision:
    """The :class:`~amparo.usecases.DecisionEffect` every runtime applies.

    ``vault`` is called only when media must be kept, so a server whose policy never
    preserves needs no vault key.
    """

    def __init__(self, vault: Callable[[], Vault]) -> None:
        self._vault = vault

    def apply(
        self, uow: UnitOfWork, record: ScanRecord, decision: Decision, media: bytes | None
    ) -> None:
        evidence_id = None
        if media is not None and decision.needs_media:
            evidence_id = (
                self._vault()
                .preserve(
                    uow,
                    media,
                    source="scan",
                    scan_id=record.scan_id,
                    retention_days=decision.preserve_days,
                )
                .item_id
            )
        asked = decision.review
        if asked is not None:
            review.enqueue_review_later(
                uow,
                scan_id=record.scan_id,
                queue=str(asked.params["queue"]),
                # Policy files rank 1 (most urgent) to 5; queues order 0-1000, higher first.
                priority=(6 - int(asked.params["priority"])) * 200,
                sla_seconds=int(asked.params["sla_hours"]) * 3600,
                rule=decision.rule,
                evidence_id=evidence_id,
            )
        content = record.content.to_dict() if record.content is not None else {}
        for kind in decision.reports:
            reporting.draft_report(uow, kind, record, content, rule=decision.rule)
        if decision.webhooks:
            payload = {
                "scan_id": record.scan_id,
                "detected_at": record.created_at.isoformat(),
                "decision": decision.to_dict(),
                "content": content,
                "hashes": dict(record.hashes),
                "matches": [
                    {"bank": m.bank, "entry_id": m.entry_id, "category": m.category}
                    for m in record.matches
                ],
                "evidence_id": evidence_id,
            }
            for endpoint in decision.webhooks:
                actions.enqueue(uow, event_type="scan.decision", payload=payload, endpoint=endpoint)
