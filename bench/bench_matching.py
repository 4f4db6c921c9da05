"""Benchmark: Amparo's PdqIndex against threatexchange's PDQIndex (faiss multi-hash), as HMA uses.

For each size, each side runs in its own subprocess (so peak RSS is attributable), on the
same random PDQ hashes (from --seed) and the same queries: indexed hashes with 0..radius
random bits flipped, so every query has at least one true match. Reports build time,
single-query and batch lookups/s, time for a newly added hash to become matchable, peak RSS,
and checks that Amparo's answers are a superset of the peer's for every query.

    .venv/bin/python bench/bench_matching.py --sizes 1000000 10000000 --queries 1000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RADIUS = 31


def _dataset(size: int, queries: int, seed: int) -> tuple[npt.NDArray[np.uint8], list[str]]:
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    qrng = np.random.default_rng(seed + 1)
    picked = hashes[qrng.integers(0, size, queries)]
    bits = np.unpackbits(picked, axis=1)
    for row in bits:
        row[qrng.choice(256, qrng.integers(0, RADIUS + 1), replace=False)] ^= 1
    return hashes, [bytes(r).hex() for r in np.packbits(bits, axis=1)]


def _fresh_hashes(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed + 2)
    return [bytes(r).hex() for r in rng.integers(0, 256, size=(n, 32), dtype=np.uint8)]


def _best(repeat: int, fn: Any) -> tuple[float, Any]:
    """Fastest of ``repeat`` runs (other processes share this machine), and its result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run_amparo(
    size: int, queries: list[str], hashes: npt.NDArray[np.uint8], seed: int, repeat: int
) -> dict[str, Any]:
    from amparo.matching import PdqIndex

    data_mb = _peak_rss_mb()
    t = time.perf_counter()
    index = PdqIndex.from_arrays(np.arange(size, dtype=np.uint32), hashes)
    build = time.perf_counter() - t
    del hashes  # the index holds the only reference now
    index.query_many(queries[:10])  # warm the probe plan
    single_s, single = _best(repeat, lambda: [index.query(q, RADIUS) for q in queries])
    batch_s, batch = _best(repeat, lambda: index.query_many(queries, RADIUS))
    assert batch == single, "query_many and query disagree"
    latencies = []
    for i, h in enumerate(_fresh_hashes(20, seed)):
        t = time.perf_counter()
        index.add([size + i], [h])
        found = index.query(h, RADIUS)
        latencies.append(time.perf_counter() - t)
        assert (size + i, 0) in found
    return {
        "build_s": build,
        "single_qps": len(queries) / single_s,
        "batch_qps": len(queries) / batch_s,
        "add_to_match_ms": 1000 * statistics.median(latencies),
        "add_to_match_max_ms": 1000 * max(latencies),
        "peak_rss_mb": _peak_rss_mb(),
        "data_rss_mb": data_mb,
        "index_mb": index.stats.memory_bytes / 2**20,
        "results": [[i for i, _ in r] for r in single],
    }


def _run_peer(
    size: int, queries: list[str], hashes: npt.NDArray[np.uint8], seed: int, repeat: int
) -> dict[str, Any]:
    import faiss
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    faiss.omp_set_num_threads(1)  # one core each: Amparo's lookups are single-threaded too

    hexes = [bytes(r).hex() for r in hashes]  # the peer's API takes hex strings
    del hashes
    data_mb = _peak_rss_mb()
    t = time.perf_counter()
    index = PDQIndex(zip(hexes, range(size), strict=True))
    build = time.perf_counter() - t
    del hexes
    index.query(queries[0])
    single_s, single = _best(
        repeat, lambda: [sorted(m.metadata for m in index.query(q)) for q in queries]
    )
    # The wrapper has no batch call; use the faiss index under it (one range_search).
    batch_s, raw = _best(
        repeat, lambda: index.index.search_with_distance_in_result(queries, RADIUS)
    )
    assert all(sorted(int(m[0]) for m in raw[q]) == s for q, s in zip(queries, single, strict=True))
    latencies = []
    for i, h in enumerate(_fresh_hashes(3, seed)):  # each add rebuilds an id map over all rows
        t = time.perf_counter()
        index.add(h, size + i)
        found = [m.metadata for m in index.query(h)]
        latencies.append(time.perf_counter() - t)
        assert size + i in found
    return {
        "build_s": build,
        "single_qps": len(queries) / single_s,
        "batch_qps": len(queries) / batch_s,
        "add_to_match_ms": 1000 * statistics.median(latencies),
        "add_to_match_max_ms": 1000 * max(latencies),
        "peak_rss_mb": _peak_rss_mb(),
        "data_rss_mb": data_mb,
        "index_mb": float("nan"),
        "results": single,
    }


def _child(mode: str, size: int, queries: int, seed: int, repeat: int, out: Path) -> None:
    hashes, qs = _dataset(size, queries, seed)
    run = _run_amparo if mode == "amparo" else _run_peer
    out.write_text(json.dumps(run(size, qs, hashes, seed, repeat)))


def _spawn(mode: str, size: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out = tmp / f"{mode}-{size}.json"
    cmd = [sys.executable, __file__, "--child", mode, "--sizes", str(size), "--out", str(out)]
    cmd += ["--queries", str(args.queries), "--seed", str(args.seed), "--repeat", str(args.repeat)]
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="passes over the queries; best counts"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="subprocess pairs per size; each side's best counts"
    )
    parser.add_argument("--child", choices=["amparo", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.sizes[0], args.queries, args.seed, args.repeat, args.out)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for size in args.sizes:
            runs = [(_spawn("amparo", size, args, tmp), _spawn("peer", size, args, tmp))]
            for _ in range(args.rounds - 1):  # alternate the sides, keep each side's best
                runs.append((_spawn("amparo", size, args, tmp), _spawn("peer", size, args, tmp)))
            ours = max((r[0] for r in runs), key=lambda r: float(r["single_qps"]))
            peer = max((r[1] for r in runs), key=lambda r: float(r["single_qps"]))
            superset = sum(
                set(p) <= set(a) for a, p in zip(ours["results"], peer["results"], strict=True)
            )
            extra = sum(
                len(set(a) - set(p)) for a, p in zip(ours["results"], peer["results"], strict=True)
            )
            planted = np.random.default_rng(args.seed + 1).integers(0, size, args.queries)
            found = [
                sum(int(t) in r for t, r in zip(planted, side["results"], strict=True))
                for side in (ours, peer)
            ]
            rows.append((size, ours, peer, superset, extra, found))
    head = (
        f"{'size':>11} {'side':>7} {'build s':>8} {'lookups/s':>10} {'batch/s':>9} "
        f"{'add->match ms':>14} {'peak RSS MB':>12} {'data MB':>8}"
    )
    print(
        f"radius {RADIUS}, {args.queries} queries with planted matches, seed {args.seed}, "
        f"best of {args.repeat} passes x {args.rounds} rounds, one thread each, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(head)
    print("-" * len(head))
    for size, ours, peer, *_ in rows:
        for name, r in (("amparo", ours), ("peer", peer)):
            print(
                f"{size:>11,} {name:>7} {r['build_s']:>8.1f} {r['single_qps']:>10,.0f} "
                f"{r['batch_qps']:>9,.0f} {r['add_to_match_ms']:>14.2f} "
                f"{r['peak_rss_mb']:>12,.0f} {r['data_rss_mb']:>8,.0f}"
            )
    print()
    for size, ours, peer, superset, extra, found in rows:
        print(
            f"{size:>11,}: single-query ratio {ours['single_qps'] / peer['single_qps']:.1f}x, "
            f"batch ratio {ours['batch_qps'] / peer['batch_qps']:.1f}x, "
            f"build {peer['build_s'] / ours['build_s']:.1f}x faster, "
            f"peak RSS {ours['peak_rss_mb']:,.0f} MB vs {peer['peak_rss_mb']:,.0f} MB "
            f"(Amparo index arrays {ours['index_mb']:,.0f} MiB); "
            f"Amparo ⊇ peer on {superset}/{len(ours['results'])} queries "
            f"({extra} extra ids); planted match found by Amparo {found[0]}, peer {found[1]}; "
            f"add->match max {ours['add_to_match_max_ms']:.1f} ms "
            f"vs {peer['add_to_match_max_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
