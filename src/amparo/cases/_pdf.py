"""The archive's PDF summary (``fpdf2``: pure Python, no browser, no network).

One page or a few: the case, who exported it for whom and when, the items, the evidence
files with their digests, and the timeline. Built-in fonts cover Latin-1; other characters
are shown as ``?`` (the JSON files hold the exact text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF

from amparo.cases.base import EvidenceInfo, ItemInfo, TimelineEvent

__all__ = ["summary_pdf"]

_MAX_TIMELINE = 400


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def summary_pdf(
    *,
    case_name: str,
    description: str | None,
    export_id: str,
    exported_at: datetime,
    exported_by: str,
    recipient: str,
    items: Sequence[tuple[ItemInfo, Sequence[EvidenceInfo], Sequence[TimelineEvent]]],
) -> bytes:
    """The summary as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(exported_at)
    pdf.set_title(_latin1(f"Case {case_name}"))
    pdf.set_creator("Amparo")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 9, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line(f"Case {case_name}", 16, "B")
    if description:
        line(description, 10)
    line(f"Export {export_id}, {exported_at.strftime('%Y-%m-%d %H:%M:%S UTC')}, by {exported_by}")
    line(f"Encrypted to: {recipient}")
    line(
        "Evidence files are age-encrypted to the recipient; MANIFEST.sha256 lists every file's "
        "SHA-256; proofs/ holds ledger inclusion proofs, each checked offline by "
        "`amparo ledger check-proof FILE --vkey VKEY`; `amparo case verify ARCHIVE` checks "
        "the whole archive."
    )
    pdf.ln(2)
    line(f"Items ({len(items)})", 12, "B")
    events = 0
    for info, evidence, timeline in items:
        pdf.ln(1)
        line(f"{info.item.text()}: {info.summary}", 10, "B")
        if info.platform or info.url:
            line(f"platform {info.platform or '-'}; location {info.url or '-'}")
        if info.first_seen:
            line(f"first seen {info.first_seen.isoformat()}")
        for ev in evidence:
            line(f"evidence {ev.vault_id}: sha256 {ev.sha256}, {ev.size:,} bytes, {ev.media_type}")
        for t in timeline:
            events += 1
            if events > _MAX_TIMELINE:
                continue
            entry = f" (ledger entry {t.ledger_entry})" if t.ledger_entry is not None else ""
            line(f"  {t.at.isoformat()}  {t.what}: {t.detail}{entry}", 8)
    if events > _MAX_TIMELINE:
        line(f"... and {events - _MAX_TIMELINE} more timeline events in timeline.json", 8)
    return bytes(pdf.output())
