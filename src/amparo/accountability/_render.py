"""A conduct report as CSV, as a self-contained HTML page with charts, and as a PDF.

Charts are drawn with matplotlib's object API (no pyplot, no global state) and embedded as
``data:`` URIs: the page loads nothing from anywhere. Each figure lists the ledger entries
behind it; in HTML they link to ``{base_url}/v1/ledger/records/{seq}`` (the record) and
``/v1/ledger/proofs/{seq}`` (its inclusion proof).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from datetime import timedelta
from typing import TYPE_CHECKING

from amparo.accountability._report import ConductReport, FigureRow
from amparo.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "render"]

FORMATS = ("json", "csv", "html", "pdf")
_SHARES = (
    ("removed_within_24h", "removed\n≤ 24 h"),
    ("removed_within_7d", "removed\n≤ 7 days"),
    ("still_online_after_42d", "online\n> 42 days"),
    ("reupload_rate", "re-\nuploaded"),
    ("ai_generated_share", "AI-\ngenerated"),
)


def _value(figure: FigureRow) -> str:
    v = figure.value
    if v is None:
        return "n/a"
    if isinstance(v, int):
        return str(v)
    if figure.name.startswith(("removed_within", "still_online", "reupload", "ai_")):
        return f"{v:.1%}"
    return f"{v:.2f}"


def _refs_text(figure: FigureRow) -> str:
    return " ".join(
        f"{r.seq}" + (f"@{r.index}" if r.index is not None else "") for r in figure.ledger
    )


def _last_day(report: ConductReport) -> str:
    return (report.end - timedelta(seconds=1)).date().isoformat()


def to_csv(report: ConductReport) -> str:
    """One row per figure: platform, period, figure, label, value, items, and the ledger
    entries behind it (``SEQ@LEAF_INDEX``, space-separated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["platform", "from", "to", "as_of", "figure", "label", "value", "items", "ledger_entries"]
    )
    for f in report.figures:
        writer.writerow(
            [
                report.platform,
                report.start.date().isoformat(),
                _last_day(report),
                report.as_of.isoformat(),
                f.name,
                f.label,
                "" if f.value is None else f.value,
                f.items,
                _refs_text(f),
            ]
        )
    return buffer.getvalue()


def _charts(report: ConductReport) -> list[tuple[str, tuple[str, ...], Figure]]:
    from matplotlib.figure import Figure

    charts: list[tuple[str, tuple[str, ...], Figure]] = []
    m = report.metrics
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.add_subplot()
    names = [label for name, label in _SHARES]
    shares = [getattr(m, name) for name, _ in _SHARES]
    bars = ax.bar(names, [v or 0.0 for v in shares], color="#4a6fa5")
    ax.bar_label(bars, labels=["n/a" if v is None else f"{v:.0%}" for v in shares])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of items")
    ax.set_title(f"{report.platform}: conduct")
    charts.append(("Shares of items", tuple(name for name, _ in _SHARES), fig))

    hours = [h for i in report.items if (h := i.hours_to_removal()) is not None]
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.add_subplot()
    if hours:
        days = sorted(h / 24 for h in hours)
        total = len(report.items)
        ax.step(days, [(k + 1) / total for k in range(len(days))], where="post")
    ax.set_xlabel("days since the first notice")
    ax.set_ylabel("share removed")
    ax.set_ylim(0, 1)
    for day, label, colour in ((1, "24 h", "#999"), (7, "7 days", "#999"), (42, "42 days", "#c33")):
        ax.axvline(day, color=colour, linestyle=":")
        ax.text(day, 0.98, f" {label}", color=colour, va="top", fontsize=8)
    ax.set_title("Removal over time (median, p90: see the figures table)")
    behind = ("median_hours_to_removal", "p90_hours_to_removal", "removed_within_24h",
              "removed_within_7d", "still_online_after_42d")  # fmt: skip
    charts.append(("Cumulative share of items removed after the first notice", behind, fig))
    return charts


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def to_html(report: ConductReport, *, base_url: str = "") -> str:
    """A self-contained page: the figures with links to their ledger entries, and charts."""
    esc = html.escape
    base = base_url.rstrip("/")
    rows = []
    for f in report.figures:
        links = " ".join(
            f'<a href="{esc(base)}/v1/ledger/records/{r.seq}" title="{esc(r.kind)}'
            f'{"" if r.index is None else f", leaf {r.index}"}">#{r.seq}</a>'
            f' (<a href="{esc(base)}/v1/ledger/proofs/{r.seq}">proof</a>)'
            for r in f.ledger
        )
        rows.append(
            f'<tr id="{esc(f.name)}"><td>{esc(f.label)}</td><td>{esc(_value(f))}</td>'
            f"<td>{f.items}</td><td>{links or '-'}</td></tr>"
        )
    labels = {f.name: f.label for f in report.figures}
    charts = "".join(
        f'<figure><img alt="{esc(caption)}" src="{_png(fig)}"><figcaption>{esc(caption)}; '
        "ledger entries behind it: "
        + ", ".join(f'<a href="#{esc(n)}">{esc(labels[n])}</a>' for n in names)
        + "</figcaption></figure>"
        for caption, names, fig in _charts(report)
    )
    period = f"{report.start.date()} to {_last_day(report)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Conduct report: {esc(report.platform)}, {esc(period)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;
vertical-align:top}}img{{max-width:100%}}</style></head><body>
<h1>Conduct report: {esc(report.platform)}</h1>
<p>Items first noticed from {esc(period)}, as of {esc(report.as_of.isoformat())}.
Every figure cites the ledger entries behind it: sequence numbers, each provable with
<code>amparo ledger prove SEQ</code>.</p>
<table><thead><tr><th>Figure</th><th>Value</th><th>Items</th><th>Ledger entries</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table>
{charts}
</body></html>
"""


def to_pdf(report: ConductReport) -> bytes:
    """The figures (with their ledger entries) and the charts, as a PDF."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": f"Conduct report: {report.platform}"}) as pdf:
        lines = [
            f"Conduct report: {report.platform}",
            f"Items first noticed {report.start.date()} to {_last_day(report)}, "
            f"as of {report.as_of.isoformat()}",
            "Ledger entries as SEQ@LEAF_INDEX; prove each with `amparo ledger prove SEQ`.",
            "",
        ]
        for f in report.figures:
            lines.append(f"{f.label}: {_value(f)}  ({f.items} items)")
            refs = _refs_text(f) or "-"
            while refs:
                cut = refs.rfind(" ", 0, 95) if len(refs) > 95 else len(refs)
                cut = cut if cut > 0 else len(refs)
                lines.append(f"    ledger: {refs[:cut].strip()}")
                refs = refs[cut:].strip()
        per_page = 60
        for start in range(0, len(lines), per_page):
            page = Figure(figsize=(8.27, 11.69))
            page.text(
                0.06,
                0.96,
                "\n".join(lines[start : start + per_page]),
                va="top",
                ha="left",
                family="monospace",
                fontsize=8,
            )
            pdf.savefig(page)
        for _, _, fig in _charts(report):
            pdf.savefig(fig)
    return buffer.getvalue()


def render(report: ConductReport, fmt: str, *, base_url: str = "") -> bytes:
    """The report in ``fmt`` (json, csv, html or pdf) as bytes."""
    if fmt == "csv":
        return to_csv(report).encode()
    if fmt == "html":
        return to_html(report, base_url=base_url).encode()
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "json":
        return (json.dumps(report.to_dict(), indent=2) + "\n").encode()
    raise InputError(f"unknown report format {fmt!r}", hint=f"choose one of: {', '.join(FORMATS)}")
