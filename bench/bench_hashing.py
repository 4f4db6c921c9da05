"""Benchmark: MD5 + SHA-256 + PDQ of a 12-megapixel JPEG, Amparo vs ThreatExchange.

The image is synthetic and benign (amparo.media._synthetic.photo_like: gradients, soft
shapes, blur and grain), 4000 x 3000, JPEG quality 90. Contenders, measured in the same run,
interleaved round by round, medians reported:

* amparo hash_media (fast)   -- amparo.signals.hash_media(data, limits): bytes in memory,
                                the default fast PDQ path, digests on a second thread.
* amparo hash_file (fast)    -- amparo.signals.hash_file(path, limits): streams the file.
* amparo hash_media (full)   -- fast=False: every pixel, bit-identical to ThreatExchange.
* threatexchange             -- the peer: pdq_hasher.pdq_from_file(path) plus hashlib.md5 and
                                hashlib.sha256 of the file's bytes (read once), i.e. what an
                                HMA-style hasher does for the same three signals.

Also PDQ alone (no digests): amparo decode + fast PDQ vs pdq_from_file.

Both wall-clock time and CPU time (all threads of the process) are reported: Amparo hashes
MD5/SHA-256 on a second thread while it decodes, which shortens wall time when a core is
free; CPU time shows the work done, and is also steadier on a busy shared machine.

Run:  .venv/bin/python bench/bench_hashing.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file

from amparo.config import MediaLimits
from amparo.media import _synthetic, decode
from amparo.signals import hash_file, hash_media, pdq_distance
from amparo.signals._pdq import FAST_MIN_SIDE, pdq_fast


def _threatexchange(path: Path) -> None:
    pdq_from_file(path)
    data = path.read_bytes()
    hashlib.md5(data).hexdigest()
    hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    limits = MediaLimits()
    image = _synthetic.photo_like(4000, 3000, seed=7)
    data = _synthetic.encode(image, "JPEG", quality=90)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo_12mp_q90.jpg"
        path.write_bytes(data)

        def pdq_only() -> None:
            pdq_fast(decode(data, limits, min_side=FAST_MIN_SIDE, grayscale=True))

        contenders: dict[str, Callable[[], object]] = {
            "amparo hash_media (fast)": lambda: hash_media(data, limits),
            "amparo hash_file (fast)": lambda: hash_file(path, limits),
            "amparo hash_media (full)": lambda: hash_media(data, limits, fast=False),
            "threatexchange pdq_from_file + hashlib": lambda: _threatexchange(path),
            "PDQ only: amparo fast": pdq_only,
            "PDQ only: threatexchange pdq_from_file": lambda: pdq_from_file(path),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for run in contenders.values():  # warm up: imports, caches, page cache
            run()
        for _ in range(args.rounds):
            for name, run in contenders.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)

        fast, full = hash_media(data, limits), hash_media(data, limits, fast=False)
        reference, _ = pdq_from_file(path)

    wall = {name: statistics.median(ts) * 1000 for name, ts in times.items()}
    work = {name: statistics.median(ts) * 1000 for name, ts in cpu.items()}
    print(f"image: 4000x3000 synthetic photo-like JPEG q90, {len(data):,} bytes")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"rounds: {args.rounds} (median of each); wall = elapsed, cpu = all threads' CPU time")
    print(f"  {'':44s} {'wall ms':>8s} {'cpu ms':>8s}")
    for name in contenders:
        print(f"  {name:44s} {wall[name]:8.1f} {work[name]:8.1f}")
    peer = "threatexchange pdq_from_file + hashlib"
    for name in ("amparo hash_media (fast)", "amparo hash_file (fast)", "amparo hash_media (full)"):
        print(
            f"ratio  threatexchange / {name:26s} wall {wall[peer] / wall[name]:5.1f}x"
            f"   cpu {work[peer] / work[name]:5.1f}x"
        )
    mine, theirs = "PDQ only: amparo fast", "PDQ only: threatexchange pdq_from_file"
    print(
        f"ratio  PDQ only, threatexchange / amparo fast    wall {wall[theirs] / wall[mine]:5.1f}x"
        f"   cpu {work[theirs] / work[mine]:5.1f}x"
    )
    assert fast.pdq is not None and full.pdq is not None
    print(f"full path == threatexchange: {full.pdq.hex == reference}")
    print(f"fast path distance to threatexchange: {pdq_distance(fast.pdq.hex, reference)} bits")


if __name__ == "__main__":
    main()
