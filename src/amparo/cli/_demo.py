"""``amparo demo``: the whole flow on benign synthetic images, in a minute or less."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from amparo import banks
from amparo.banks import NewEntry
from amparo.cli._common import out
from amparo.config import Settings
from amparo.media import _synthetic as synthetic
from amparo.runtime import Amparo
from amparo.scan import scan_media
from amparo.signals import hash_media

__all__ = ["demo_command"]

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
    """Build a bank from synthetic images, scan variants and unrelated images, show matches."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="amparo-demo-") as tmp:
        root = data_dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        amparo = Amparo.open(Settings(data_dir=root, database_url=None))
        try:
            _run(amparo, root)
        finally:
            amparo.close()
    out.print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")


def _run(amparo: Amparo, root: Path) -> None:
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
        signals = hash_media(data, amparo.settings.media)
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
                    pdq_quality=signals.pdq.quality,
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
    for path in files:
        result = scan_media(
            amparo, path.read_bytes(), filename=path.name, source="demo", dihedral=True
        )
        _, kind, seed, *edit = path.stem.split("-")
        expected = path.name.startswith("variant-")
        best = result.matches[0] if result.matches else None
        ok = bool(best) == expected
        right += ok
        colour = "green" if ok else "red"
        table.add_row(
            f"{kind} #{seed}",
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


def _via(signal_type: str, variant: str | None) -> str:
    if signal_type != "pdq":
        return signal_type
    return "pdq" if variant in (None, "original") else f"pdq {variant}"
