"""``amparo accountability ...``: platforms, sightings, notices, takedown checks, reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import accountability as acc
from amparo.cli._common import AmparoGroup, err, out, print_table, runtime
from amparo.errors import InputError

__all__ = ["app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Notices to platforms, takedown monitoring, re-uploads and conduct reports.\n\n"
    "Examples:\n\n"
    "  amparo accountability platform add fakeshare --host fakeshare.example "
    "--channel email --target abuse@fakeshare.example --legal legal@fakeshare.example\n"
    "  amparo accountability sighting add https://fakeshare.example/p/1.jpg "
    "--found-by 'hotline report 114'\n"
    "  amparo accountability notices run\n"
    "  amparo accountability checks run\n"
    "  amparo accountability report --platform fakeshare --from 2026-01-01 --to 2026-03-31 "
    "--format html --out report.html",
)


def _group(text: str, *examples: str) -> typer.Typer:
    lines = "\n".join(f"  amparo accountability {e}" for e in examples)
    return typer.Typer(
        cls=AmparoGroup,
        no_args_is_help=True,
        add_completion=False,
        help=f"{text}\n\nExamples:\n\n{lines}",
    )


platform_app = _group(
    "Configured platforms: host names, notice channel, legal contact.",
    "platform add fakeshare --host fakeshare.example --channel email "
    "--target abuse@fakeshare.example",
    "platform list",
)
sighting_app = _group(
    "Sightings: items seen online, fetched, hashed, matched and preserved.",
    "sighting add https://fakeshare.example/p/1.jpg --found-by 'report 114'",
    "sighting show 1",
)
notices_app = _group("Notices to platforms (DSA Art. 16).", "notices run")
checks_app = _group("Takedown checks of noticed URLs.", "checks run")
app.add_typer(platform_app, name="platform")
app.add_typer(sighting_app, name="sighting")
app.add_typer(notices_app, name="notices")
app.add_typer(checks_app, name="checks")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_platform(p: acc.Platform) -> None:
    out.print(
        f"{p.name}: hosts {', '.join(p.hostnames)}; notices by {p.channel} to "
        f"{p.channel_target}; legal contact {p.legal_contact or '-'}; trusted flagger "
        f"{'yes' if p.trusted_flagger else 'no'}",
        highlight=False,
    )


@platform_app.command("add")
def platform_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Platform name (1-64 of A-Z a-z 0-9 _ . -).")],
    host: Annotated[
        list[str],
        typer.Option("--host", help="A host name of the platform (repeatable); subdomains count."),
    ],
    channel: Annotated[str, typer.Option(help="Notice channel: email, webhook or api.")],
    target: Annotated[
        str, typer.Option(help="The e-mail address, webhook URL or API adapter name.")
    ],
    legal: Annotated[
        str | None,
        typer.Option("--legal", help="Legal contact's e-mail, for escalated notices."),
    ] = None,
    trusted_flagger: Annotated[
        bool,
        typer.Option(
            "--trusted-flagger/--no-trusted-flagger",
            help="Whether you are a trusted flagger (DSA Art. 22) on this platform.",
        ),
    ] = False,
) -> None:
    """Add a platform: its host names, notice channel and legal contact.

    Examples:

      amparo accountability platform add fakeshare --host fakeshare.example --channel email --target abuse@fakeshare.example
      amparo accountability platform add vidz --host vidz.example --channel webhook --target https://vidz.example/dsa --trusted-flagger
    """  # noqa: E501
    with runtime(ctx).session() as s:
        platform = acc.add_platform(
            s,
            name,
            hostnames=host,
            channel=channel,
            target=target,
            legal_contact=legal,
            trusted_flagger=trusted_flagger,
        )
    _print_platform(platform)


@platform_app.command("list")
def platform_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the configured platforms.

    Examples:

      amparo accountability platform list
    """
    with runtime(ctx).session() as s:
        platforms = acc.list_platforms(s)
    if as_json:
        for p in platforms:
            print(json.dumps(p.to_dict()))
        return
    table = Table("name", "hosts", "channel", "target", "legal contact", "trusted flagger")
    for p in platforms:
        table.add_row(
            p.name,
            ", ".join(p.hostnames),
            p.channel,
            p.channel_target,
            p.legal_contact or "",
            "yes" if p.trusted_flagger else "no",
        )
    print_table(table)


@platform_app.command("show")
def platform_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Platform name.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one platform.

    Examples:

      amparo accountability platform show fakeshare
    """
    with runtime(ctx).session() as s:
        platform = acc.get_platform(s, name)
    if as_json:
        print(json.dumps(platform.to_dict()))
    else:
        _print_platform(platform)


@sighting_app.command("add")
def sighting_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The exact URL the item was seen at.")],
    found_by: Annotated[
        str, typer.Option("--found-by", help="How it was found (report id, crawler...).")
    ],
    platform: Annotated[
        str | None,
        typer.Option(help="Platform name (default: inferred from the URL's host)."),
    ] = None,
    first_seen: Annotated[
        str | None,
        typer.Option("--first-seen", help="When it was first seen (ISO 8601; default: now)."),
    ] = None,
    notice: Annotated[
        bool, typer.Option("--notice/--no-notice", help="Schedule notices to the platform.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Record a sighting: fetch the item (public addresses only), hash it, match it against
    the banks, read its provenance and preserve it in the evidence vault.

    Examples:

      amparo accountability sighting add https://fakeshare.example/p/1.jpg --found-by 'hotline report 114'
      amparo accountability sighting add https://cdn.example/x.png --platform fakeshare --first-seen 2026-03-01T10:00Z --found-by crawler
    """  # noqa: E501
    seen = acc.parse_time(first_seen, "--first-seen") if first_seen else None
    amparo = runtime(ctx)
    service = amparo.accountability
    sighting = acc.record_sighting(
        amparo,
        service.evidence,
        url,
        found_by=found_by,
        platform=platform,
        first_seen_at=seen,
        notify=notice,
        pdq_threshold=amparo.settings.accountability_pdq_threshold,
    )
    if as_json:
        print(json.dumps(sighting.to_dict()))
        return
    matched = ", ".join(sighting.matched_banks) or "no bank"
    out.print(
        f"sighting {sighting.id} on {sighting.platform}: sha256 {sighting.sha256}, matched "
        f"{matched}, provenance {sighting.ai_verdict or '-'}, evidence {sighting.evidence_id}",
        highlight=False,
    )


@sighting_app.command("list")
def sighting_list(
    ctx: typer.Context,
    platform: Annotated[str | None, typer.Option(help="Only this platform's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List sightings with their notice and removal state.

    Examples:

      amparo accountability sighting list --platform fakeshare
    """
    with runtime(ctx).session() as s:
        sightings = acc.list_sightings(s, platform=platform)
    if as_json:
        for x in sightings:
            print(json.dumps(x.to_dict()))
        return
    table = Table("id", "platform", "url", "state", "notices", "removed")
    for x in sightings:
        removed = x.removed_at.strftime("%Y-%m-%d %H:%M") if x.removed_at else ""
        table.add_row(str(x.id), x.platform, x.url, x.state, str(x.notices_sent), removed)
    print_table(table)


@sighting_app.command("show")
def sighting_show(
    ctx: typer.Context,
    sighting_id: Annotated[int, typer.Argument(help="Sighting id.", metavar="ID")],
) -> None:
    """Show a sighting's timeline (notices, answers, checks, removal, re-uploads) as JSON,
    each step with its ledger entries.

    Examples:

      amparo accountability sighting show 3
    """
    with runtime(ctx).session() as s:
        sighting = acc.get_sighting(s, sighting_id)
        timeline = acc.sighting_timeline(s, sighting_id)
    print(json.dumps({**sighting.to_dict(), "timeline": [e.to_dict() for e in timeline]}, indent=2))


@sighting_app.command("answer")
def sighting_answer(
    ctx: typer.Context,
    sighting_id: Annotated[int, typer.Argument(help="Sighting id.", metavar="ID")],
    answer: Annotated[str, typer.Argument(help="What the platform answered.")],
) -> None:
    """Record the platform's answer to the newest notice about a sighting (ledgered).

    Examples:

      amparo accountability sighting answer 3 'Ticket 8812: we reviewed and removed it'
    """
    with runtime(ctx).session() as s:
        acc.record_answer(s, sighting_id, answer)
    err.print(f"answer recorded for sighting {sighting_id}")


@notices_app.command("run")
def notices_run(ctx: typer.Context) -> None:
    """Send the notices that are due now (a server does this every
    AMPARO_ACCOUNTABILITY_WORKER_SECONDS).

    Examples:

      amparo accountability notices run
    """
    handled = runtime(ctx).accountability.notice_round()
    err.print(f"{handled} item(s) noticed")


@checks_app.command("run")
def checks_run(ctx: typer.Context) -> None:
    """Make the takedown checks that are due now (a server does this every
    AMPARO_ACCOUNTABILITY_WORKER_SECONDS).

    Examples:

      amparo accountability checks run
    """
    made = runtime(ctx).accountability.check_round()
    err.print(f"{made} URL(s) checked")


@app.command("report")
def report(
    ctx: typer.Context,
    platform: Annotated[str, typer.Option(help="Platform name.")],
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD) of the period.")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), included.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, html, pdf or json.")] = "csv",
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report here (default: stdout; csv and json)."),
    ] = None,
) -> None:
    """A platform's conduct over a period (items first noticed from --from to --to):
    median and p90 time to removal, shares removed within 24 h and 7 days, still online
    after 42 days, re-upload rate, notices per item, AI-generated share; every figure cites
    the ledger entries behind it.

    Examples:

      amparo accountability report --platform fakeshare --from 2026-01-01 --to 2026-03-31
      amparo accountability report --platform fakeshare --from 2026-01-01 --to 2026-03-31 --format pdf --out fakeshare.pdf
    """  # noqa: E501
    if fmt not in acc.FORMATS:
        raise InputError(
            f"unknown report format {fmt!r}", hint=f"choose one of: {', '.join(acc.FORMATS)}"
        )
    if fmt in ("html", "pdf") and out_file is None:
        raise InputError(f"a {fmt} report needs a file", hint="pass --out FILE")
    first, last = acc.parse_period(start, end)
    with runtime(ctx).session() as s:
        built = acc.build_report(s, platform, first, last)
    data = acc.render_report(built, fmt)
    if out_file is None:
        print(data.decode(), end="")
        return
    try:
        out_file.write_bytes(data)
    except OSError as exc:
        raise InputError(
            f"cannot write {out_file}: {exc.strerror or exc}", hint="check the path"
        ) from None
    err.print(f"wrote {out_file} ({len(data):,} bytes)")
