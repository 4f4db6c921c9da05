"""``amparo demo``: the whole flow on benign synthetic images, in a minute or less."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from rich.table import Table

from amparo import banks
from amparo.banks import NewEntry
from amparo.cli._common import out
from amparo.cli._demo_accountability import run_accountability
from amparo.config import Settings
from amparo.media import synthetic
from amparo.provenance import Credentials, Evidence, make_credentials, stamp
from amparo.runtime import Runtime
from amparo.usecases import scan_media

__all__ = ["app"]

BANK = "DEMO_KNOWN"
# (kind, seed) of the images that play "known material" (benign drawings), and of unrelated
# ones. Photo-like scenes and shapes: PDQ needs texture (text on a blank page or a soft
# gradient is a poor perceptual-hash subject, and gets a low quality score).
KNOWN: tuple[tuple[synthetic.Kind, int], ...] = (
    ("photo_like", 1),
    ("shapes", 2),
    ("photo_like", 4),
    ("shapes", 5),
)
UNRELATED: tuple[tuple[synthetic.Kind, int], ...] = (
    ("photo_like", 101),
    ("shapes", 102),
    ("text", 103),
    ("noise", 104),
)
VARIANTS: tuple[synthetic.VariantName, ...] = (
    "resize_half",
    "jpeg_q70",
    "rotate90",
    "flip",
    "crop_slightly",
    "brighter",
)


def demo_command(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the demo's database and images here (default: a temporary folder)."
        ),
    ] = None,
) -> None:
    """Build a bank from synthetic images, scan variants and unrelated images, show matches;
    then notice seven fake platforms on 127.0.0.1 and measure their takedowns.

    Uses its own databases (never AMPARO_DATABASE_URL) and only benign synthetic images. The
    accountability part runs six simulated days against local fake platforms (removes at
    once, after days, never; soft-removes; geo-blocks; re-uploads; rate-limits the checker)
    and prints each platform's conduct metrics; it reaches no host but 127.0.0.1 and starts
    afresh in DATA_DIR/demo-accountability.

    Examples:

      amparo demo
      amparo demo --data-dir demo-data
    """
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="amparo-demo-") as tmp:
        root = data_dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        # A throwaway provider CA plays the AI provider whose stamps this platform trusts.
        credentials = make_credentials(common_name="Demo Image Generator Inc.")
        anchor = root / "demo-provider-root.pem"
        anchor.write_bytes(credentials.root_pem)
        settings = Settings(data_dir=root, database_url=None, provenance_trust_anchors=[anchor])
        amparo = Runtime.open(settings)
        try:
            _run(amparo, root)
            _run_provenance(amparo, root / "ai", credentials)
        finally:
            amparo.close()
        run_accountability(root / "demo-accountability")
    out.print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")


def _run(amparo: Runtime, root: Path) -> None:
    images = root / "images"
    images.mkdir(exist_ok=True)
    out.rule("[bold]Amparo demo[/]: benign synthetic images only")
    out.print(f"database: {amparo.settings.resolved_database_url}")
    with amparo.session() as s:
        if BANK in {b.name for b in banks.list_banks(s)}:
            banks.delete_bank(s, BANK)
        banks.create_bank(s, BANK, description="Demo: hashes of synthetic 'known' images")
    known_ids: dict[str, int] = {}
    for kind, seed in KNOWN:
        image = synthetic.make(kind, 1024, 768, seed=seed)
        data = synthetic.encode(image, "JPEG", quality=92)
        signals = amparo.hasher.hash(data)
        assert signals.pdq is not None
        with amparo.session() as s:
            entry = banks.add_entry(
                s,
                BANK,
                NewEntry(
                    signals={"pdq": signals.pdq.hex, "md5": signals.md5, "sha256": signals.sha256},
                    source="demo",
                    source_id=f"{kind}-{seed}",
                    category="B2",
                    tags=("demo",),
                    qualities={"pdq": signals.pdq.quality},
                ),
            )
        known_ids[f"{kind}-{seed}"] = entry.id
        (images / f"known-{kind}-{seed}.jpg").write_bytes(data)
        for name in VARIANTS:
            edited = synthetic.variant(image, name)
            (images / f"variant-{kind}-{seed}-{name}.jpg").write_bytes(
                synthetic.encode(edited.convert("RGB"), "JPEG", quality=85)
            )
    for kind, seed in UNRELATED:
        image = synthetic.make(kind, 800, 600, seed=seed)
        (images / f"unrelated-{kind}-{seed}.png").write_bytes(synthetic.encode(image, "PNG"))
    out.print(
        f"bank {BANK}: {len(KNOWN)} entries; scanning {len(list(images.iterdir()))} files "
        f"in {images}\n"
    )

    table = Table("image", "edit", "expected", "result", "entry", "distance", "found via")
    right = 0
    files = sorted(p for p in images.iterdir() if not p.name.startswith("known-"))
    decisions = []
    for path in files:
        result = scan_media(
            amparo, path.read_bytes(), filename=path.name, source="demo", dihedral=True
        )
        if result.decision is not None:
            decisions.append(result.decision)
        _, image_kind, image_seed, *edit = path.stem.split("-")
        expected = path.name.startswith("variant-")
        best = result.matches[0] if result.matches else None
        ok = bool(best) == expected
        right += ok
        colour = "green" if ok else "red"
        table.add_row(
            f"{image_kind} #{image_seed}",
            edit[0] if edit else "(unrelated)",
            "match" if expected else "no match",
            f"[{colour}]{'MATCH' if best else 'no match'}[/]",
            f"#{best.entry_id}" if best else "",
            str(best.distance) if best else "",
            _via(best.signal_type, best.variant) if best else "",
        )
    out.print(table)
    out.print(
        f"\n{right}/{len(files)} files classified as expected. PDQ distance <= 31 (of 256 bits) "
        "is a match; rotated and flipped copies are found through the 8 dihedral PDQ variants."
    )
    out.print(
        f"Policy (built-in, `amparo policy show`): {sum(d.blocked for d in decisions)} blocked, "
        f"{sum(d.needs_media for d in decisions)} sealed in the encrypted evidence vault "
        f"(`amparo evidence list`), {sum(d.review is not None for d in decisions)} queued for "
        f"review (the console at /review), {sum(d.allowed for d in decisions)} allowed; each "
        "decision and action is a ledger entry."
    )


def _via(signal_type: str, variant: str | None) -> str:
    if signal_type != "pdq":
        return signal_type
    return "pdq" if variant in (None, "original") else f"pdq {variant}"


def _run_provenance(amparo: Runtime, folder: Path, credentials: Credentials) -> None:
    """Files that say (or show) they are AI-made, and controls that say nothing."""
    folder.mkdir(exist_ok=True)
    base = synthetic.make("photo_like", 640, 480, seed=42)
    png = synthetic.encode(base, "PNG")
    stamped = stamp(
        png,
        generator="Demo Image Generator",
        cert_pem=credentials.chain_pem,
        key_pem=credentials.key_pem,
        watermark=True,
    )
    meta = PngInfo()
    # A benign prompt, written the way Automatic1111's web UI writes its "parameters".
    meta.add_text(
        "parameters",
        "a watercolour lighthouse at dawn\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
        "Seed: 1, Size: 640x480, Model: demo-model-v1",
    )
    a1111 = io.BytesIO()
    base.save(a1111, "PNG", pnginfo=meta)
    stripped = io.BytesIO()
    Image.open(io.BytesIO(stamped)).convert("RGB").save(stripped, "PNG")
    files = {
        "stamped-c2pa.png": (stamped, "declared_ai"),
        "a1111-parameters.png": (a1111.getvalue(), "likely_ai"),
        "stamped-then-reencoded.png": (stripped.getvalue(), "likely_ai"),
        "plain-photo-like.jpg": (synthetic.encode(base, "JPEG", quality=90), "no_ai_signal"),
    }
    out.rule("[bold]AI provenance[/]: C2PA, IPTC, generator metadata, watermarks")
    table = Table("file", "expected", "verdict", "evidence")
    right = 0
    for name, (data, expected) in files.items():
        (folder / name).write_bytes(data)
        result = scan_media(amparo, data, filename=name, source="demo")
        report = result.provenance
        verdict = report.verdict if report else "?"
        right += verdict == expected
        colour = "green" if verdict == expected else "red"
        evidence = (
            "; ".join(_evidence_line(e) for e in report.evidence if e.indicates != "none")
            if report
            else ""
        )
        table.add_row(name, expected, f"[{colour}]{verdict}[/]", evidence or "-")
    out.print(table)
    out.print(
        f"\n{right}/{len(files)} verdicts as expected. The stamp's invisible watermark "
        "survives re-encoding, which removes the metadata. 'no_ai_signal' never means 'not AI'."
    )


def _evidence_line(evidence: Evidence) -> str:
    parts: list[str] = [evidence.type]
    if evidence.validation:
        parts.append(evidence.validation)
    if evidence.generator:
        parts.append(evidence.generator)
    return " ".join(parts)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("demo")(demo_command)
