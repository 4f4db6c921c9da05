"""Benchmark: peak memory and CPU of one scan of each hostile input, in a fresh process.

Two sets of inputs (``amparo.media.hostile``): the decompression bombs and malformed
structures (``BOMBS``), and the costliest inputs the default limits still accept, each just
under one limit (``LIMIT_CASES``): what an attacker can make the server do without being
refused.

A scan here is what the server does with an upload: ``hash_media`` (fast PDQ, MD5, SHA-256)
and then ``amparo.provenance.analyze``, with the default :class:`MediaLimits` and provenance
options, sharing the decode where the code under test can (``keep_pixels=True``; older code
without it decodes twice). Each input (``amparo.media.hostile.BOMBS``: decompression bombs
and malformed structures, all benign) runs in its own child process, so its peak RSS is its
own; the parent reads the child's peak RSS and CPU time (user + system, all threads) from
``wait4``. The first row is a child that only imports Amparo: the floor under every other row.

The target (issue "decompression work within the default limits"): no single input makes the
process use more than 1 GB or 5 s of CPU. A child still running after ``--timeout`` seconds
is killed and reported as such.

To measure other code with the same inputs, point ``--src`` at its ``src`` directory (the
inputs are always built by this tree's ``amparo.media.hostile``), e.g. before a change::

    git worktree add --detach /tmp/amparo-before <commit>
    .venv/bin/python bench/bench_hostile_media.py --src /tmp/amparo-before/src

Run:  .venv/bin/python bench/bench_hostile_media.py [--timeout 120] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amparo.media.hostile import BOMBS, LIMIT_CASES

CHILD = r"""
import json, sys
from amparo.config import MediaLimits
from amparo.errors import MediaError
from amparo.provenance import analyze
from amparo.signals import hash_media

path = sys.argv[1]
if path == "-":
    print(json.dumps({"outcome": "imports only", "pixels": "-"}))
    raise SystemExit(0)
data = open(path, "rb").read()
limits = MediaLimits()
decoded = None
shared = True
try:
    try:
        signals, decoded = hash_media(data, limits, keep_pixels=True)
    except TypeError:  # code from before keep_pixels: hash, then analyze decodes again
        shared = False
        signals = hash_media(data, limits)
    error = getattr(signals, "decode_error", None)
    if signals.pdq is not None:
        outcome = f"PDQ (quality {signals.pdq.quality})"
    elif error is not None:
        outcome = f"digests; {error.code}"
    else:
        outcome = "digests, no PDQ"
except MediaError as exc:
    outcome = f"raised {exc.code}"
report = analyze(data, pixels=decoded) if shared else analyze(data)
pixels = [e.problem or "checked" for e in report.evidence if e.type == "watermark"]
print(json.dumps({"outcome": outcome, "pixels": ",".join(pixels) or "-"}))
"""


def _run(path: str, src: str | None, timeout: float) -> dict[str, object]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            killed = True
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    out = child.stdout.read() if child.stdout else ""
    err = child.stderr.read() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, object] = {
        "rss_mb": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
    }
    if killed:
        result["outcome"] = f"killed after {timeout:.0f} s"
        result["pixels"] = "-"
    elif child.returncode != 0:
        last = (err.strip().splitlines() or ["?"])[-1]
        result["outcome"] = f"crashed (exit {child.returncode}: {last[:60]})"
        result["pixels"] = "-"
    else:
        result.update(json.loads(out.strip().splitlines()[-1]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", help="run the children against this src directory")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child")
    cases = {**BOMBS, **LIMIT_CASES}
    parser.add_argument("--only", nargs="*", choices=sorted(cases), help="these inputs only")
    args = parser.parse_args()
    names = args.only or list(cases)
    print(f"code under test: {args.src or 'this tree'}; timeout {args.timeout:.0f} s per input")
    print()
    print("| input | bytes | outcome (hash) | provenance pixels | peak RSS MB | CPU s | wall s |")
    print("|---|---:|---|---|---:|---:|---:|")
    rows = [("(imports only)", None)] + [(name, cases[name]) for name in names]
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in rows:
            if build is None:
                path, size = "-", 0
            else:
                data = build()
                path, size = str(Path(tmp) / name), len(data)
                Path(path).write_bytes(data)
            r = _run(path, args.src, args.timeout)
            print(
                f"| {name} | {size:,} | {r['outcome']} | {r['pixels']} | {r['rss_mb']:,.0f} "
                f"| {r['cpu_s']:.2f} | {r['wall_s']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
