"""Benchmark: what AI provenance adds to a scan's hashing (PDQ + MD5 + SHA-256).

Per image, interleaved round by round, medians reported:

* scan      -- amparo.signals.hash_media(data, limits) (the scan's hashing, fast PDQ path);
* scan+prov -- the same, then amparo.provenance.analyze(data, options) with the provider's CA
               as trust anchor (what /v1/scan does when provenance is on);
* prov      -- analyze alone. "added" is prov / scan: on a busy machine it is steadier than
               the difference of the two noisy medians above.

Images are synthetic and benign (amparo.media.synthetic.photo_like), marked by this script:
JPEGs without metadata at 2, 6 and 12 MP (where most scans fall; target: <= 25% added), a
camera-like JPEG with EXIF, a C2PA-stamped JPEG, and 1 MP PNGs: plain (watermark check runs),
A1111 parameters, stamped with C2PA + watermark. The test CA comes from the test factories.

Run:  .venv/bin/python bench/bench_provenance.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from amparo.config import MediaLimits
from amparo.media import synthetic
from amparo.provenance import ProvenanceOptions, analyze, stamp
from amparo.signals import hash_media

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "provenance"))
from provenance_factories import make_credentials


def _images() -> dict[str, tuple[bytes, bool]]:
    """name -> (bytes, is a JPEG without metadata)."""
    creds = make_credentials()
    images: dict[str, tuple[bytes, bool]] = {}
    for label, (w, h) in {"2MP": (1600, 1200), "6MP": (3000, 2000), "12MP": (4000, 3000)}.items():
        pixels = synthetic.photo_like(w, h, seed=3)
        images[f"JPEG {label}, no metadata"] = (synthetic.encode(pixels, "JPEG", quality=90), True)
    photo = synthetic.photo_like(3000, 2000, seed=4)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS R6"
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90, exif=exif.tobytes())
    images["JPEG 6MP, camera EXIF"] = (out.getvalue(), False)
    sign = {"cert_pem": creds.chain_pem, "key_pem": creds.key_pem, "generator": "ExampleGen"}
    jpeg = synthetic.encode(photo, "JPEG", quality=90)
    images["JPEG 6MP, C2PA + XMP stamp"] = (stamp(jpeg, **sign), False)  # type: ignore[arg-type]
    small = synthetic.photo_like(1024, 1024, seed=5)
    png = synthetic.encode(small, "PNG")
    images["PNG 1MP, no metadata"] = (png, False)
    info = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("parameters", "benign test prompt\nSteps: 20, Sampler: Euler a, Model: v1-5")
    small.save(info, "PNG", pnginfo=text)
    images["PNG 1MP, A1111 parameters"] = (info.getvalue(), False)
    stamped = stamp(png, watermark=True, **sign)  # type: ignore[arg-type]
    images["PNG 1MP, C2PA + XMP + watermark"] = (stamped, False)
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    limits = MediaLimits()
    creds = make_credentials()
    options = ProvenanceOptions(trust_anchors=(creds.root_pem,))
    images = _images()

    def scan(data: bytes) -> object:
        return hash_media(data, limits)

    def scan_prov(data: bytes) -> object:
        hash_media(data, limits)
        return analyze(data, options=options)

    def prov(data: bytes) -> object:
        return analyze(data, options=options)

    contenders: dict[str, Callable[[bytes], object]] = {
        "scan": scan,
        "scan+prov": scan_prov,
        "prov": prov,
    }
    times: dict[tuple[str, str], list[float]] = {(i, c): [] for i in images for c in contenders}
    for data, _ in images.values():  # warm up
        for run in contenders.values():
            run(data)
    for _ in range(args.rounds):
        for name, (data, _) in images.items():
            for contender, run in contenders.items():
                start = time.perf_counter()
                run(data)
                times[(name, contender)].append(time.perf_counter() - start)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"rounds: {args.rounds} (median of each)")
    header = f"{'image':34s} {'bytes':>11s} {'scan ms':>9s} {'+prov ms':>9s} {'prov ms':>9s}"
    print(f"  {header} {'added':>8s}  verdict")
    plain_scan = plain_prov = 0.0
    for name, (data, plain) in images.items():
        base, both, alone = (
            statistics.median(times[(name, c)]) * 1000 for c in ("scan", "scan+prov", "prov")
        )
        verdict = analyze(data, options=options).verdict
        row = f"{name:34s} {len(data):11,d} {base:9.2f} {both:9.2f} {alone:9.3f}"
        print(f"  {row} {alone / base:8.2%}  {verdict}")
        if plain:
            plain_scan += base
            plain_prov += alone
    ratio = plain_prov / plain_scan
    print(f"added on JPEGs without metadata (prov / scan, sums of medians): {ratio:.2%}")
    print("target: <= 25%")


if __name__ == "__main__":
    main()
