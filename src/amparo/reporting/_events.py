"""Events of report drafts."""

from __future__ import annotations

from dataclasses import dataclass

from amparo.events import Event

__all__ = ["ReportDrafted"]


@dataclass(frozen=True)
class ReportDrafted(Event):
    """A policy asked for a report about a scan; its facts are stored as a draft."""

    kind = "report.draft"

    draft_id: int
    report_kind: str
    scan_id: str
    rule: str
