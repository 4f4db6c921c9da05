"""``amparo provenance FILE...`` and ``amparo stamp IN OUT``.

Registered by ``amparo.cli`` as top-level commands. Errors are :class:`AmparoError` (exit 2
via the one handler in :class:`~amparo.cli._common.AmparoGroup`). Prompts found in files are
never printed: they belong in the scan record, not on terminals or in logs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from amparo.cli._common import err, out, read_file
from amparo.config import load_settings
from amparo.errors import AmparoError, InputError
from amparo.provenance import ProvenanceOptions, analyze, stamp
from amparo.runtime import provenance_options

__all__ = ["provenance_app", "stamp_app"]

_COLOURS = {"declared_ai": "bold red", "likely_ai": "yellow", "stripped": "magenta"}


def provenance_command(
    files: Annotated[list[Path], typer.Argument(help="Image files to read.", show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file, one per line.")
    ] = False,
    trust_anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-anchor",
            help="PEM root certificate whose C2PA signers count as valid (repeatable; "
            "adds to AMPARO_PROVENANCE_TRUST_ANCHORS).",
        ),
    ] = None,
) -> None:
    """Say whether each file declares or shows signs of AI generation, with the evidence.

    Verdicts: declared_ai, likely_ai, stripped, no_ai_signal (never "not AI").
    """
    settings = load_settings()
    options = provenance_options(settings)
    extra = tuple(read_file(path, 1_048_576) for path in trust_anchor or [])
    options = ProvenanceOptions(
        trust_anchors=options.trust_anchors + extra, classifiers=options.classifiers
    )
    failed = False
    for path in files:
        try:
            data = read_file(path, settings.media.max_bytes)
        except AmparoError as exc:
            failed = True
            if as_json:
                print(json.dumps({"path": str(path), **exc.to_dict()}))
            err.print(f"[red]{path}:[/] {exc.diagnostics()}", highlight=False)
            continue
        report = analyze(data, options=options)
        if as_json:
            print(json.dumps({"path": str(path), **report.to_dict()}))
            continue
        colour = _COLOURS.get(report.verdict, "green")
        out.print(f"{path}: [{colour}]{report.verdict}[/]", highlight=False)
        for item in report.evidence:
            mark = "*" if item.indicates != "none" else "-"
            out.print(f"  {mark} [{item.type}] {item.detail}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(2)


def stamp_command(
    source: Annotated[Path, typer.Argument(help="Image to stamp (PNG, JPEG or WebP).")],
    target: Annotated[Path, typer.Argument(help="Where to write the stamped image.")],
    generator: Annotated[
        str, typer.Option("--generator", help="Name of the AI system that made the image.")
    ],
    cert: Annotated[
        Path, typer.Option("--cert", help="PEM certificate chain of the signer, leaf first.")
    ],
    key: Annotated[Path, typer.Option("--key", help="PEM private key of the certificate.")],
    watermark: Annotated[
        bool,
        typer.Option("--watermark", help="Also embed an invisible watermark (PNG/WebP only)."),
    ] = False,
    generator_version: Annotated[
        str | None, typer.Option("--generator-version", help="Version of the AI system.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
) -> None:
    """Label an AI generator's output: signed C2PA manifest, IPTC XMP, optional watermark."""
    settings = load_settings()
    if target.exists() and not force:
        raise InputError(f"{target} already exists", hint="choose another path or pass --force")
    stamped = stamp(
        read_file(source, settings.media.max_bytes),
        generator=generator,
        cert_pem=read_file(cert, 1_048_576),
        key_pem=read_file(key, 1_048_576),
        watermark=watermark,
        generator_version=generator_version,
    )
    try:
        target.write_bytes(stamped)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}", hint="check the path") from exc
    out.print(f"stamped {source} -> {target} as made by {generator}", highlight=False, markup=False)


provenance_app = typer.Typer()
provenance_app.command("provenance")(provenance_command)
stamp_app = typer.Typer()
stamp_app.command("stamp")(stamp_command)
