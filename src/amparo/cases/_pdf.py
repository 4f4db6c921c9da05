"""The archive's PDF summary (``fpdf2``: pure Python, no browser, no network).

One page or a few: the case, who exported it for whom and when, the items, the evidence
files with their digests, and the timeline. Built-in fonts cover Latin-1; other characters
are shown as ``?`` (the JSON files hold the exact text).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime

from amparo.cases.base import EvidenceInfo, ItemInfo, TimelineEvent

__all__ = ["summary_pdf"]

_MAX_LINES = 300
"""Item, evidence and timeline lines shown; the JSON files hold all of them."""


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
    # Imported here: fpdf (with fontTools) is a fifth of every command's start-up time, and
    # only case exports use it.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(exported_at)
    pdf.set_title(_latin1(f"Case {case_name}"))
    pdf.set_creator("Amparo")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 9, style: str = "") -> None:
        # Wrapped by character count (Helvetica averages under 0.5 em per character):
        # fpdf's own line breaking measures every glyph and costs ~10 ms a line.
        pdf.set_font("Helvetica", style, size)
        chars = max(20, int(width / (size * 0.19)))
        for part in textwrap.wrap(_latin1(text), chars, break_long_words=True) or [""]:
            pdf.cell(width, size * 0.5, part, new_x="LMARGIN", new_y="NEXT")

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
    shown = 0
    left = 0
    for info, evidence, timeline in items:
        lines: list[tuple[str, int, str]] = [(f"{info.item.text()}: {info.summary}", 10, "B")]
        if info.platform or info.url:
            lines.append((f"platform {info.platform or '-'}; location {info.url or '-'}", 9, ""))
        if info.first_seen:
            lines.append((f"first seen {info.first_seen.isoformat()}", 9, ""))
        for ev in evidence:
            text = f"evidence {ev.vault_id}: sha256 {ev.sha256}, {ev.size:,} bytes, {ev.media_type}"
            lines.append((text, 8, ""))
        for t in timeline:
            entry = f" (ledger entry {t.ledger_entry})" if t.ledger_entry is not None else ""
            lines.append((f"  {t.at.isoformat()}  {t.what}: {t.detail}{entry}", 8, ""))
        for text, size, style in lines:
            if shown >= _MAX_LINES:
                left += 1
                continue
            shown += 1
            line(text, size, style)
    if left:
        line(f"... {left} more lines: see case.json and timeline.json", 9, "B")
    return bytes(pdf.output())
