"""Accuracy of Amparo's fast PDQ path against the full-resolution reference.

For each synthetic benign image (amparo.media.synthetic: gradients, checkerboards, shapes,
text, noise, photo-like composites) at several sizes up to 12 MP, encoded as JPEG at
qualities 80-95 (and as PNG, which takes the block-mean path instead of DCT scaling), it
compares ``hash_media(data, limits)`` (fast) with ThreatExchange's
``pdq_hasher.pdq_from_bytes`` (every pixel) and reports the Hamming distance.

Groups reported separately, because PDQ itself is unreliable on them:

* low quality: the reference PDQ quality is under 50 (soft gradients). PDQ's own rule is not
  to match on such hashes; any implementation moves many bits on them.
* checkerboards: sharp periodic patterns alias in PDQ's 64 x 64 sampling and leave many DCT
  coefficients next to the median; the reference hash of the same checkerboard moves between
  its PNG and JPEG encodings (column "ref png-jpeg").

Column "full path" counts the images whose fast hash was fragile (many DCT coefficients next
to their median, see ``amparo.signals._pdq_kernel.fragile``), so that ``hash_media`` hashed
every pixel instead: the fast path's guard against moving many bits.

Run:  .venv/bin/python bench/bench_fastpath_accuracy.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from amparo.config import MediaLimits
from amparo.media import decode, synthetic
from amparo.signals import hash_media, pdq_distance
from amparo.signals._pdq import FAST_JPEG_MIN_SIDE, pdq_fast

SIZES = [(640, 480), (1600, 1200), (3000, 2000), (4000, 3000)]
QUALITIES = [80, 85, 90, 95]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two sizes, one seed")
    args = parser.parse_args()
    sizes = SIZES[:2] if args.quick else SIZES
    seeds = range(1) if args.quick else range(2)
    limits = MediaLimits()

    groups: dict[str, list[int]] = defaultdict(list)
    fallbacks: dict[str, int] = defaultdict(int)
    rows: list[str] = []
    for kind in synthetic.KINDS:
        for width, height in sizes:
            for seed in seeds:
                image = synthetic.make(kind, width, height, seed=seed)
                encodings = [
                    (f"JPEG q{q}", synthetic.encode(image, "JPEG", quality=q)) for q in QUALITIES
                ]
                png = synthetic.encode(image, "PNG")
                encodings.append(("PNG", png))
                png_ref = pdq_from_bytes(png)[0] if kind == "checkerboard" else None
                for label, data in encodings:
                    reference, quality = pdq_from_bytes(data)
                    fast = hash_media(data, limits).pdq
                    assert fast is not None
                    reduced = decode(data, limits, min_side=FAST_JPEG_MIN_SIDE, grayscale=True)
                    fell_back = pdq_fast(reduced) is None  # fragile: hashed every pixel
                    distance = pdq_distance(fast.hex, reference)
                    if quality < 50:
                        group = "low quality (<50)"
                    elif kind == "checkerboard":
                        group = "checkerboards"
                    else:
                        group = f"{'JPEG' if label != 'PNG' else 'PNG'} well-conditioned"
                    groups[group].append(distance)
                    fallbacks[group] += fell_back
                    spread = (
                        f"  ref png-jpeg {pdq_distance(png_ref, reference):3d}"
                        if png_ref is not None and label != "PNG"
                        else ""
                    )
                    rows.append(
                        f"{kind:12s} {width:4d}x{height:<4d} seed {seed} {label:8s} "
                        f"q={quality:3d} fast-vs-full {distance:3d}{spread}"
                        f"{'  (fragile: full path)' if fell_back else ''}"
                    )
    for row in rows:
        print(row)
    print()
    print(f"{'group':28s} {'images':>6s} {'max':>4s} {'mean':>6s} {'<=10':>6s} {'full path':>9s}")
    for group, distances in sorted(groups.items()):
        within = sum(d <= 10 for d in distances)
        print(
            f"{group:28s} {len(distances):6d} {max(distances):4d} "
            f"{statistics.mean(distances):6.2f} {within:3d}/{len(distances)} "
            f"{fallbacks[group]:9d}"
        )


if __name__ == "__main__":
    main()
