"""``amparo exchange ...``: configure exchanges and fetch their hashes into banks.

Credentials are read from ``--credentials``, ``AMPARO_EXCHANGE_CREDENTIALS`` or a hidden
prompt, stored encrypted, and never printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from amparo.cli._common import AmparoGroup, err, out, runtime
from amparo.errors import AmparoError, InputError
from amparo.exchanges import (
    EXCHANGE_APIS,
    Exchange,
    FetchProgress,
    FetchResult,
    create_exchange,
    delete_exchange,
    fetch_exchange,
    get_exchange,
    list_exchanges,
    resolve_api,
    update_exchange,
)

__all__ = ["app"]

_APIS = ", ".join(f"{s.name} ({s.description})" for s in EXCHANGE_APIS.values())

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    help="Fetch hash lists from exchanges (NCMEC, StopNCII, ThreatExchange, Tech Against "
    "Terrorism, local files) into banks.",
)

Name = Annotated[str, typer.Argument(help="Exchange name, e.g. ncmec-industry.")]
SetOpts = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="A setting KEY=VALUE (repeatable); see `amparo exchange apis`.",
        show_default=False,
    ),
]
Tags = Annotated[
    list[str] | None,
    typer.Option("--tag", help="A tag added to every entry (repeatable).", show_default=False),
]


def _config(sets: list[str] | None, tags: list[str] | None, **named: Any) -> dict[str, Any]:
    config: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
    for item in sets or ():
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError(f"--set {item!r} is not KEY=VALUE", hint="e.g. --set environment=NGO")
        config[key.strip()] = value.strip()
    if tags:
        config["tags"] = tags
    return config


def _from_env(ctx: typer.Context, param: str) -> bool:
    source = ctx.get_parameter_source(param)
    return source is not None and source.name == "ENVIRONMENT"


def _ask_credentials(api: str) -> str:
    spec = resolve_api(api, EXCHANGE_APIS)
    value: str = typer.prompt(
        f"{spec.name} credentials ({spec.credential_format})", hide_input=True
    )
    return value


def _iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


@app.command("apis")
def apis() -> None:
    """List the exchange APIs and their settings."""
    table = Table("api", "what", "settings", "credentials")
    for spec in EXCHANGE_APIS.values():
        settings = "\n".join(f"{k}: {v}" for k, v in spec.config_help.items())
        table.add_row(spec.name, spec.description, settings, spec.credential_format)
    out.print(table)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Name,
    api: Annotated[str, typer.Option("--api", help=f"One of: {_APIS}.")],
    bank: Annotated[str, typer.Option("--bank", help="The bank to fill (must exist).")],
    sets: SetOpts = None,
    tags: Tags = None,
    environment: Annotated[
        str | None, typer.Option(help="ncmec: environment, e.g. Industry, NGO_Generative_AI.")
    ] = None,
    privacy_group: Annotated[
        int | None, typer.Option(help="fb_threatexchange: privacy group id.")
    ] = None,
    path: Annotated[Path | None, typer.Option(help="local_file: the hash list file.")] = None,
    credentials: Annotated[
        str | None,
        typer.Option(
            envvar="AMPARO_EXCHANGE_CREDENTIALS",
            help="Credentials in the API's one-line form (see `amparo exchange apis`). "
            "Prefer the environment variable or the prompt: options show in process lists.",
            show_default=False,
        ),
    ] = None,
    disabled: Annotated[bool, typer.Option(help="Add it disabled (no fetches).")] = False,
) -> None:
    """Add an exchange feeding a bank; asks for credentials (hidden) when the API needs them."""
    spec = resolve_api(api, EXCHANGE_APIS)
    if not spec.credential_fields and _from_env(ctx, "credentials"):
        credentials = None  # a variable set for other exchanges; this API takes none
    config = _config(
        sets,
        tags,
        environment=environment,
        privacy_group=privacy_group,
        path=str(path.resolve()) if path else None,
    )
    if spec.credential_fields and not credentials:
        credentials = _ask_credentials(spec.name)
    amparo = runtime(ctx)
    box = amparo.credential_box() if credentials else None
    with amparo.session() as s:
        exchange = create_exchange(
            s,
            name,
            api=spec.name,
            bank=bank,
            config=config,
            credentials=credentials or None,
            box=box,
            enabled=not disabled,
        )
    out.print(f"added exchange {exchange.name} ({exchange.api}) feeding bank {exchange.bank}")


@app.command("update")
def update(
    ctx: typer.Context,
    name: Name,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Allow or stop fetches.")
    ] = None,
    sets: SetOpts = None,
    tags: Tags = None,
    ask_credentials: Annotated[
        bool,
        typer.Option(
            "--credentials",
            help="Replace the credentials: from AMPARO_EXCHANGE_CREDENTIALS, else asked (hidden).",
        ),
    ] = False,
) -> None:
    """Enable/disable an exchange, replace its settings (next fetch is full) or credentials."""
    amparo = runtime(ctx)
    with amparo.session() as s:
        current = get_exchange(s, name)
    config = None
    if sets or tags:
        config = {**current.config, **_config(sets, tags)}
    credentials = None
    if ask_credentials:
        credentials = os.environ.get("AMPARO_EXCHANGE_CREDENTIALS") or _ask_credentials(current.api)
    box = amparo.credential_box() if credentials else None
    with amparo.session() as s:
        exchange = update_exchange(
            s, name, enabled=enable, config=config, credentials=credentials, box=box
        )
    out.print(f"updated exchange {exchange.name} ({'enabled' if exchange.enabled else 'disabled'})")


def _progress_text(p: FetchProgress) -> str:
    c = p.counts
    return (
        f"{p.exchange}: {p.phase} batch {p.batches}, {c.items} items "
        f"(+{c.added} ~{c.updated} -{c.removed} ={c.unchanged}, {c.unusable} unusable)"
    )


def _fetch_one(ctx: typer.Context, name: str, force: bool, quiet: bool) -> FetchResult:
    amparo = runtime(ctx)
    with amparo.session() as s:
        needs_key = get_exchange(s, name).has_credentials
    box = amparo.credential_box() if needs_key else None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{name}: starting")

        def report(p: FetchProgress) -> None:
            bar.update(task, description=_progress_text(p))

        return fetch_exchange(amparo.session, name, box=box, force=force, progress=report)


@app.command("fetch")
def fetch(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Exchanges to fetch.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Fetch every enabled exchange.")] = False,
    force: Annotated[
        bool, typer.Option(help="Take over a fetch that another process holds.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON results.")] = False,
) -> None:
    """Fetch new, changed and retracted hashes; an interrupted fetch resumes where it stopped."""
    if all_:
        with runtime(ctx).session() as s:
            names = [e.name for e in list_exchanges(s) if e.enabled]
    if not names:
        raise InputError("no exchange to fetch", hint="name one or more exchanges, or pass --all")
    failures: list[AmparoError] = []
    for name in names:
        try:
            result = _fetch_one(ctx, name, force, as_json)
        except AmparoError as exc:
            if len(names) == 1:
                raise
            failures.append(exc)
            err.print(f"[bold red]{name}:[/] {exc.diagnostics()}", highlight=False)
            continue
        if as_json:
            print(json.dumps(result.to_dict()))
        else:
            c = result.counts
            out.print(
                f"{name}: {result.batches} batches, {c.items} items: {c.added} added, "
                f"{c.updated} updated, {c.removed} removed, {c.unchanged} unchanged, "
                f"{c.unusable} unusable" + (" (full fetch)" if result.full else ""),
                soft_wrap=True,
            )
    if failures:
        raise typer.Exit(2)


def _status_rows(e: Exchange) -> Mapping[str, str]:
    return {
        "api": e.api,
        "bank": e.bank,
        "enabled": "yes" if e.enabled else "no",
        "entries": str(e.entries),
        "fetching": "yes" if e.fetching else "",
        "last success": _iso(e.last_fetch_succeeded_at),
        "last start": _iso(e.last_fetch_started_at),
        "items last fetch": str(e.fetched_items),
        "data up to": _iso(e.progress_at),
        "interrupted": "yes (next fetch resumes)" if e.interrupted else "",
        "last error": e.last_fetch_error or "",
    }


@app.command("status")
def status(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One exchange (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fetch status: entries, last success, progress, running fetches, last error."""
    with runtime(ctx).session() as s:
        exchanges = [get_exchange(s, name)] if name else list_exchanges(s)
    if as_json:
        for e in exchanges:
            print(json.dumps(e.to_dict()))
        return
    for e in exchanges:
        table = Table(title=e.name, show_header=False)
        for key, value in _status_rows(e).items():
            table.add_row(key, value)
        table.add_row("settings", json.dumps(dict(e.config)))
        out.print(table)


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List exchanges."""
    with runtime(ctx).session() as s:
        exchanges = list_exchanges(s)
    if as_json:
        for e in exchanges:
            print(json.dumps(e.to_dict()))
        return
    table = Table("name", "api", "bank", "enabled", "entries", "last success", "last error")
    for e in exchanges:
        rows = _status_rows(e)
        table.add_row(
            e.name,
            e.api,
            e.bank,
            rows["enabled"],
            rows["entries"],
            rows["last success"],
            (e.last_fetch_error or "")[:60],
        )
    out.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Name,
    delete_entries: Annotated[
        bool, typer.Option(help="Also delete the entries it added to its bank.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask.")] = False,
) -> None:
    """Delete an exchange (its entries stay in the bank unless --delete-entries)."""
    what = "and its entries " if delete_entries else ""
    if not yes:
        typer.confirm(f"delete exchange {name} {what}?", abort=True)
    with runtime(ctx).session() as s:
        removed = delete_exchange(s, name, delete_entries=delete_entries)
    out.print(f"deleted exchange {name}" + (f" and {removed} entries" if delete_entries else ""))
