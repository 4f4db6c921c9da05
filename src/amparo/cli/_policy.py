"""``amparo policy ...``: check, try and activate the policy that decides every scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from amparo.cli._common import AmparoGroup, err, operator, out, read_file, runtime
from amparo.errors import InputError
from amparo.policy import MAX_POLICY_BYTES, ContentMeta, Decision, Policy, content_meta

__all__ = ["app", "parse_meta"]

app = typer.Typer(
    cls=AmparoGroup,
    no_args_is_help=True,
    add_completion=False,
    help="The policy: ordered TOML rules that decide what happens to every scan (block, "
    "quarantine, review, preserve, report, webhook, allow).\n\n"
    "The built-in policy decides until one is activated: matches are blocked, preserved "
    "and reviewed; AI-generated media is preserved and reviewed; the rest is allowed.\n\n"
    "Examples:\n\n"
    "  amparo policy check policy.toml\n"
    "  amparo policy test policy.toml --scan upload.jpg --meta surface=chat\n"
    "  amparo policy test policy.toml --scan 0b6c3c9e-...\n"
    "  amparo policy activate policy.toml\n"
    "  amparo policy show",
)

PolicyFile = Annotated[Path, typer.Argument(help="The policy file (TOML).", show_default=False)]
Meta = Annotated[
    list[str] | None,
    typer.Option(
        "--meta",
        help="Content metadata KEY=VALUE (content_id, uploader_id, surface, country); repeatable.",
        show_default=False,
    ),
]


def parse_meta(pairs: list[str] | None) -> ContentMeta | None:
    """``--meta key=value`` options as checked content metadata (None when none given)."""
    if not pairs:
        return None
    values: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--meta {pair!r} is not KEY=VALUE", hint="e.g. --meta surface=chat")
        if key in values:
            raise InputError(f"--meta {key} is given twice", hint="give each key once")
        values[key] = value
    return content_meta(values)


def _load(path: Path) -> Policy:
    from amparo.usecases import check_policy, policy_text

    text = policy_text(read_file(path, MAX_POLICY_BYTES), source=str(path))
    return check_policy(text, source=str(path))


def _print_decision(decision: Decision) -> None:
    actions = ", ".join(
        a.kind + (f" ({', '.join(f'{k}={v}' for k, v in a.params.items())})" if a.params else "")
        for a in decision.actions
    )
    out.print(
        f"rule {decision.rule!r} (line {decision.line}) fired: {decision.reason}\n"
        f"actions: {actions}",
        markup=False,
        highlight=False,
    )


@app.command("check")
def check(path: PolicyFile) -> None:
    """Check a policy file: every problem is printed with its line, and nothing is stored.

    Exit 0 when it can be activated, 2 when not.

    Examples:

      amparo policy check policy.toml
    """
    policy = _load(path)
    default = policy.rules[-1]
    out.print(
        f"{escape(str(path))}: ok: {len(policy.rules)} rule(s), default rule "
        f"{escape(repr(default.name))} (line {default.line}), sha256 {policy.sha256}",
        highlight=False,
    )


@app.command("test")
def test(
    ctx: typer.Context,
    path: PolicyFile,
    scan: Annotated[
        str,
        typer.Option(
            "--scan",
            help="A stored scan's id (its recorded matches, provenance and metadata), or a "
            "media file (scanned, not recorded).",
            show_default=False,
        ),
    ],
    meta: Meta = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Show what a policy file would decide for a scan, without activating it or recording
    anything.

    Examples:

      amparo policy test policy.toml --scan upload.jpg
      amparo policy test policy.toml --scan upload.jpg --meta surface=chat --meta country=DE
      amparo policy test policy.toml --scan 0b6c3c9e-2f4a-4c8e-9d1b-7a5e3f2c1d0e --json
    """
    from amparo.usecases import try_policy_on_media, try_policy_on_scan

    policy = _load(path)
    amparo = runtime(ctx)
    media = Path(scan)
    if media.is_file():
        data = read_file(media, amparo.settings.media.max_bytes)
        result = try_policy_on_media(amparo, policy, data, parse_meta(meta))
    else:
        if meta:
            raise InputError(
                "--meta goes with a media file; a stored scan keeps the metadata it was "
                "scanned with",
                hint="drop --meta, or give a file to --scan",
            )
        result = try_policy_on_scan(amparo, policy, scan)
    if as_json:
        print(json.dumps(result.to_dict()))
    else:
        _print_decision(result.decision)


@app.command("activate")
def activate(ctx: typer.Context, path: PolicyFile) -> None:
    """Check a policy file, store it as a new version and make it the active policy
    (ledgered). Running servers take it within AMPARO_INDEX_REFRESH_SECONDS.

    Examples:

      amparo policy activate policy.toml
    """
    from amparo.usecases import activate_policy, policy_text

    text = policy_text(read_file(path, MAX_POLICY_BYTES), source=str(path))
    view = activate_policy(runtime(ctx), text, actor=operator().name, source=str(path))
    err.print(
        f"policy {view['name']!r} version {view['version']} is active "
        f"({view['rules']} rules, sha256 {view['sha256']})",
        markup=False,
        highlight=False,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the active policy's text (the built-in one until one is activated); with
    --json, also its version and activation.

    Examples:

      amparo policy show > policy.toml
    """
    from amparo.usecases import active_policy_view

    view = active_policy_view(runtime(ctx))
    if as_json:
        print(json.dumps(view))
        return
    which = "built-in" if view["builtin"] else f"version {view['version']}"
    err.print(f"# policy {view['name']!r} ({which})", markup=False, highlight=False)
    print(view["text"], end="")
