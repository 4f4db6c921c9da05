"""``amparo reports ...``: the report drafts policies asked for."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from amparo import reporting
from amparo.cli._common import AmparoGroup, print_table, runtime

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Report drafts (NCMEC CyberTipline, DSA statements of reasons) that policies asked "
    "for, with the facts each report needs.\n\n"
    "Examples:\n\n"
    "  amparo reports list --kind ncmec\n"
    "  amparo reports show 12",
)


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option(help=f"Only this kind: {', '.join(reporting.REPORT_KINDS)}.")
    ] = None,
    scan: Annotated[str | None, typer.Option(help="Only drafts about this scan id.")] = None,
    after: Annotated[int, typer.Option(help="Start after this draft id.", min=0)] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List report drafts, oldest first.

    Examples:

      amparo reports list
      amparo reports list --kind dsa --json
    """
    with runtime(ctx).session() as s:
        drafts = reporting.list_drafts(s, kind=kind, scan_id=scan, after_id=after, limit=limit)
    if as_json:
        for d in drafts:
            print(json.dumps(d.to_dict()))
        return
    table = Table("id", "kind", "scan", "rule", "status", "created")
    table.columns[2].no_wrap = True
    for d in drafts:
        table.add_row(str(d.id), d.kind, d.scan_id, d.rule, d.status, d.created_at.isoformat())
    print_table(table)


@app.command("show")
def show(
    ctx: typer.Context,
    draft_id: Annotated[int, typer.Argument(help="The draft's id.", min=1)],
) -> None:
    """Print one draft with its facts as JSON.

    Examples:

      amparo reports show 12
    """
    with runtime(ctx).session() as s:
        draft = reporting.get_draft(s, draft_id)
    print(json.dumps(draft.to_dict(), indent=2))
