"""``amparo dsa ...``: import DSA Transparency Database dumps and compare a platform's
declarations with what Amparo observed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import dsa
from amparo.cli._common import AmparoGroup, err, print_table, runtime
from amparo.cli._progress import Reporter
from amparo.errors import InputError

__all__ = ["app", "parse_day"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="DSA Transparency Database: import daily dumps, compare declared with observed.\n\n"
    "Examples:\n\n"
    "  amparo dsa import sor-global-2025-03-03-full.zip\n"
    "  amparo dsa import sor-*-light.zip --platform TikTok\n"
    "  amparo dsa compare --platform TikTok --from 2025-03-01 --to 2025-03-31 --format csv",
)


def parse_day(value: str, option: str) -> date:
    """An ISO date (YYYY-MM-DD) given to ``option``, or an :class:`InputError`."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{option} {value!r} is not a date", hint="write dates as YYYY-MM-DD"
        ) from None


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Dump files: sor-*.zip (full or light), .csv.zip, .csv, .parquet."),
    ],
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="Keep only this platform's statements (platform_name)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show no progress.")] = False,
) -> None:
    """Import daily dumps: keep per-platform, per-day counts of statements of reasons under
    protection of minors and the CSAM and grooming keywords.

    The dump is streamed table by table; memory stays flat whatever its size. Importing a
    file again changes nothing (its SHA-256 is recorded). Rows that cannot be read are
    counted by reason and reported; a file whose header lacks a needed column is refused,
    naming the columns.

    Examples:

      amparo dsa import sor-global-2025-03-03-full.zip
      amparo dsa import sor-tiktok-2025-03-03-light.zip sor-tiktok-2025-03-04-light.zip
    """
    amparo = runtime(ctx)
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: no such file", hint="check the path")
        with Reporter(f"importing {path.name}", "rows", quiet=quiet) as bar:
            report = dsa.import_dump(amparo, path, platform=platform, progress=bar.update)
        if report.already_imported:
            err.print(f"{path.name}: already imported (sha256 {report.sha256}); nothing changed")
            continue
        bad = ", ".join(f"{n} {why}" for why, n in report.bad.by_reason.items())
        err.print(
            f"{path.name}: {report.rows:,} rows, {report.counted:,} in scope, "
            f"{len(report.platforms)} platform(s), {len(report.days)} day(s)"
            + (f"; {report.bad.total:,} bad row(s) skipped: {bad}" if report.bad.total else ""),
            highlight=False,
        )
        if report.overlapping:
            err.print(
                f"  skipped, already imported from another file: {', '.join(report.overlapping)}",
                highlight=False,
            )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@app.command("compare")
def compare(
    ctx: typer.Context,
    platform: Annotated[str, typer.Option("--platform", help="The platform, as in the dumps.")],
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), included.")],
    fmt: Annotated[
        str, typer.Option("--format", help="table, json or csv.", show_default=True)
    ] = "table",
) -> None:
    """Compare what a platform declared (imported dumps) with what Amparo observed, per day.

    Declared: statements of reasons under protection of minors, CSAM (and deepfake CSAM),
    grooming; automated detection and decision shares; median days to decision.
    Observed: items noticed, removals, median hours to removal, AI-generated share.
    removals_without_statement: removals seen beyond the declared CSAM statements.

    Examples:

      amparo dsa compare --platform TikTok --from 2025-03-01 --to 2025-03-31
      amparo dsa compare --platform TikTok --from 2025-03-01 --to 2025-03-31 --format json
    """
    if fmt not in ("table", "json", "csv"):
        raise InputError(f"--format {fmt!r} is not one of table, json, csv")
    amparo = runtime(ctx)
    result = dsa.compare(
        amparo,
        dsa.observations_for(amparo),
        platform,
        parse_day(start, "--from"),
        parse_day(end, "--to"),
    )
    if fmt == "json":
        print(json.dumps(result.to_dict(), indent=2))
        return
    if fmt == "csv":
        print(result.to_csv(), end="")
        return
    table = Table(
        "day",
        "minors",
        "csam",
        "deepfake",
        "auto detect",
        "auto decide",
        "median days",
        "noticed",
        "removed",
        "median h",
        "AI share",
        "w/o statement",
        title=f"{platform}: declared (DSA database) vs observed (Amparo)",
    )
    for day in result.days:
        row = day.to_dict()
        table.add_row(
            *(
                _cell(row[k])
                for k in (
                    "day",
                    "declared_protection_of_minors",
                    "declared_csam",
                    "declared_csam_deepfake",
                    "declared_automated_detection_share",
                    "declared_automated_decision_share",
                    "declared_median_decision_days",
                    "observed_noticed",
                    "observed_removed",
                    "observed_median_removal_hours",
                    "observed_ai_generated_share",
                    "removals_without_statement",
                )
            )
        )
    print_table(table)
