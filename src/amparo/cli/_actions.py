"""``amparo actions ...``: the outbox of webhooks that decisions send, and their endpoints.

A running ``amparo serve`` delivers; these commands configure endpoints, show what was
sent, and put dead-lettered actions back in the outbox.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from amparo import actions
from amparo.cli._common import AmparoGroup, err, operator, out, print_table, runtime
from amparo.errors import InputError

__all__ = ["app", "endpoints_app"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Actions: signed webhooks (Standard Webhooks) that decisions send through an "
    "outbox, retried with backoff and kept in a dead letter when a receiver keeps failing. "
    "A running `amparo serve` delivers them.\n\n"
    "Examples:\n\n"
    "  amparo actions endpoints add trust-and-safety https://hooks.example.org/amparo\n"
    "  amparo actions list --status dead\n"
    "  amparo actions retry --all-dead",
)
endpoints_app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Webhook endpoints: named receivers, each with its own signing secret.\n\n"
    "Examples:\n\n"
    "  amparo actions endpoints add trust-and-safety https://hooks.example.org/amparo\n"
    "  amparo actions endpoints list\n"
    "  amparo actions endpoints remove trust-and-safety",
)
app.add_typer(endpoints_app, name="endpoints")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")]
Name = Annotated[str, typer.Argument(help="Endpoint name, e.g. trust-and-safety.")]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


@endpoints_app.command("add")
def endpoints_add(
    ctx: typer.Context,
    name: Name,
    url: Annotated[str, typer.Argument(help="Where to POST, e.g. https://hooks.example.org/x.")],
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="AMPARO_WEBHOOK_SECRET",
            help="The signing secret (whsec_ and base64 of 24-64 bytes). Default: a new one, "
            "printed once. Prefer the environment variable: options show in process lists.",
            show_default=False,
        ),
    ] = None,
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Add it disabled (its actions wait).")
    ] = False,
) -> None:
    """Add a webhook endpoint; prints its signing secret once (the receiver verifies with it).

    Examples:

      amparo actions endpoints add trust-and-safety https://hooks.example.org/amparo
      AMPARO_WEBHOOK_SECRET=whsec_... amparo actions endpoints add siem https://siem.example.org/in
    """
    amparo = runtime(ctx)
    box = amparo.credential_box()
    with amparo.session() as s:
        endpoint, plain = actions.create_endpoint(
            s,
            name,
            url,
            box=box,
            policy=amparo.deliverer.options.policy,
            by=operator().name,
            secret=secret,
            enabled=not disabled,
        )
    err.print(f"added webhook endpoint {endpoint.name} -> {endpoint.url}", markup=False)
    if secret is None:
        err.print("its signing secret, shown only once:", markup=False)
        print(plain)


@endpoints_app.command("list")
def endpoints_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List webhook endpoints (never their secrets).

    Examples:

      amparo actions endpoints list
      amparo actions endpoints list --json
    """
    with runtime(ctx).session() as s:
        found = actions.list_endpoints(s)
    if as_json:
        for e in found:
            print(json.dumps(e.to_dict()))
        return
    table = Table("name", "url", "enabled", "created")
    for e in found:
        table.add_row(e.name, e.url, "yes" if e.enabled else "no", _when(e.created_at))
    print_table(table)


@endpoints_app.command("remove")
def endpoints_remove(
    ctx: typer.Context,
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask.")] = False,
) -> None:
    """Remove a webhook endpoint; its pending actions go to the dead letter.

    Examples:

      amparo actions endpoints remove trust-and-safety --yes
    """
    if not yes:
        typer.confirm(f"remove webhook endpoint {name}?", abort=True)
    with runtime(ctx).session() as s:
        dropped = actions.remove_endpoint(s, name, by=operator().name)
    more = f"; {dropped} pending action(s) went to the dead letter" if dropped else ""
    out.print(f"removed webhook endpoint {name}{more}", markup=False)


@endpoints_app.command("enable")
def endpoints_enable(ctx: typer.Context, name: Name) -> None:
    """Deliver to an endpoint again (its waiting actions go out).

    Examples:

      amparo actions endpoints enable trust-and-safety
    """
    with runtime(ctx).session() as s:
        actions.set_endpoint_enabled(s, name, True, by=operator().name)
    out.print(f"enabled webhook endpoint {name}", markup=False)


@endpoints_app.command("disable")
def endpoints_disable(ctx: typer.Context, name: Name) -> None:
    """Hold deliveries to an endpoint (its actions wait, tries are not used up).

    Examples:

      amparo actions endpoints disable trust-and-safety
    """
    with runtime(ctx).session() as s:
        actions.set_endpoint_enabled(s, name, False, by=operator().name)
    out.print(f"disabled webhook endpoint {name}", markup=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(help="Only actions in this state: pending, delivered or dead."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many, newest first.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List actions, newest first: where they go, their state, tries and last error.

    Examples:

      amparo actions list
      amparo actions list --status dead --json
    """
    with runtime(ctx).session() as s:
        found = actions.list_actions(s, status=status, limit=limit)
    if as_json:
        for a in found:
            print(json.dumps(a.to_dict()))
        return
    table = Table("id", "event", "endpoint", "status", "tries", "created", "next try", "last error")
    for a in found:
        table.add_row(
            a.id,
            a.event_type,
            a.endpoint,
            a.status,
            str(a.attempts),
            _when(a.created_at),
            _when(a.next_attempt_at),
            (a.last_error or "")[:60],
        )
    print_table(table)


@app.command("retry")
def retry(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Argument(help="Dead actions to send again.")] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Send every dead action again.")
    ] = False,
) -> None:
    """Send dead-lettered actions again, each with a fresh set of tries (a running server
    delivers them within AMPARO_WEBHOOK_POLL_SECONDS).

    Examples:

      amparo actions retry msg_0f3c...
      amparo actions retry --all-dead
    """
    if ids and all_dead:
        raise InputError("give action ids or --all-dead, not both", hint="see --help")
    with runtime(ctx).session() as s:
        retried = actions.retry_actions(s, ids or (), all_dead=all_dead, by=operator().name)
    out.print(f"{len(retried)} action(s) back in the outbox", markup=False)
    for action_id in retried:
        print(action_id)
