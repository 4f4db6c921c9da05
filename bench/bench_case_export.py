"""Case export: a 1,000-file case, seconds and peak RSS, against ``tar`` piped to ``age``.

The evidence is 1,000 benign random files (``--size`` bytes each) kept in a folder that
stands in for the vault (each read is a file read, ledgered as a vault read would be). Ours:
``amparo.cases.export_case`` (per-file age encryption, manifest, custody, timeline, PDF,
ledger proofs and seal) into a fresh SQLite database. Peer: ``tar -cf - FOLDER | age -r
RECIPIENT`` — when the ``age`` binary is absent, ``tar`` piped into ``pyrage.encrypt_io``
(the same age implementation Amparo uses) stands in for it; the output says which ran.
Each side runs in its own process; peak RSS is that process tree's largest.

Run:  .venv/bin/python bench/bench_case_export.py [--files 1000] [--size 102400]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

PER_ITEM = 10


def _make_files(folder: Path, files: int, size: int) -> None:
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"f{n:05d}.bin").write_bytes(os.urandom(size))


def _child_amparo(folder: str, recipient: str, out: str) -> dict[str, float]:
    from dataclasses import dataclass

    from amparo import cases
    from amparo.auth import Principal
    from amparo.config import Settings
    from amparo.events import Event
    from amparo.runtime import Runtime
    from amparo.store import UnitOfWork

    @dataclass(frozen=True)
    class BenchVaultRead(Event):
        kind = "bench.vault_read"
        vault_id: str
        reason: str

    files = sorted(Path(folder).iterdir())
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}  # the vault's
    groups = {
        str(i // PER_ITEM + 1): files[i : i + PER_ITEM] for i in range(0, len(files), PER_ITEM)
    }

    class FolderSources:
        def describe(self, uow: UnitOfWork, item: cases.CaseItem) -> cases.ItemInfo | None:
            return cases.ItemInfo(
                item,
                f"sighting {item.ref}",
                platform="Bench",
                first_seen=datetime(2025, 1, 1, tzinfo=UTC),
            )

        def evidence(self, uow: UnitOfWork, item: cases.CaseItem) -> Sequence[cases.EvidenceInfo]:
            return [
                cases.EvidenceInfo(p.name, digests[p.name], p.stat().st_size)
                for p in groups[item.ref]
            ]

        def read_evidence(
            self, uow: UnitOfWork, vault_id: str, *, principal: Principal, reason: str
        ) -> bytes:
            uow.emit(BenchVaultRead(vault_id=vault_id, reason=reason))
            return (Path(folder) / vault_id).read_bytes()

        def custody(self, uow: UnitOfWork, vault_id: str) -> Sequence[cases.CustodyEvent]:
            return ()

        def timeline(self, uow: UnitOfWork, item: cases.CaseItem) -> Sequence[cases.TimelineEvent]:
            return (cases.TimelineEvent(datetime(2025, 1, 1, tzinfo=UTC), "found", "bench", None),)

        def ledger_entries(self, uow: UnitOfWork, item: cases.CaseItem) -> Sequence[int]:
            return ()

    who = Principal(key_id=1, name="bench", role="investigator")
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(Settings(data_dir=Path(tmp)))
        src = FolderSources()
        cases.create_case(runtime, "bench", description=None, principal=who)
        cases.add_items(runtime, src, "bench", [cases.parse_item(k) for k in groups], principal=who)
        t0 = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        cases.export_case(runtime, src, "bench", recipient=recipient, out=Path(out), principal=who)
        seconds = time.perf_counter() - t0
        if os.environ.get("BENCH_PROFILE"):
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        t1 = time.perf_counter()
        report = cases.verify_archive(Path(out))
        verify_seconds = time.perf_counter() - t1
        assert report.ok, report.problems
        runtime.close()
    return {"seconds": seconds, "verify_seconds": verify_seconds}


def _peer(folder: Path, recipient: str, out: Path) -> tuple[str, float, float]:
    age = shutil.which("age")
    if age:
        name = "tar | age"
        encrypt = [age, "-r", recipient, "-o", str(out)]
    else:
        name = "tar | pyrage (no age binary)"
        encrypt = [
            sys.executable,
            "-c",
            "import sys, pyrage; from pyrage import x25519; "
            "pyrage.encrypt_io(sys.stdin.buffer, open(sys.argv[2], 'wb'), "
            "[x25519.Recipient.from_str(sys.argv[1])])",
            recipient,
            str(out),
        ]
    t0 = time.perf_counter()
    tar = subprocess.Popen(
        ["tar", "-cf", "-", "-C", str(folder.parent), folder.name], stdout=subprocess.PIPE
    )
    enc = subprocess.run(encrypt, stdin=tar.stdout, check=True)
    assert tar.stdout is not None
    tar.stdout.close()
    tar.wait()
    seconds = time.perf_counter() - t0
    assert enc.returncode == 0 and tar.returncode == 0
    return name, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--size", type=int, default=100 * 1024)
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        result = _child_amparo(*args.child)
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    from pyrage import x25519

    recipient = str(x25519.Identity.generate().to_public())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "vault"
        _make_files(folder, args.files, args.size)
        total_mb = args.files * args.size / 2**20
        peer_name, peer_s, peer_rss = _peer(folder, recipient, Path(tmp) / "peer.tar.age")
        ours = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), recipient, str(Path(tmp) / "c.tar")],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(ours.stdout.strip().splitlines()[-1])
        print(f"## case export: {args.files:,} files, {total_mb:,.0f} MiB of evidence")
        print(f"{'':<30}{'seconds':>9}{'MiB/s':>8}{'peak RSS':>10}")
        print(
            f"{'amparo case export':<30}{r['seconds']:>9.2f}{total_mb / r['seconds']:>8.1f}"
            f"{r['maxrss_mb']:>8.0f}MB"
        )
        print(f"{peer_name:<30}{peer_s:>9.2f}{total_mb / peer_s:>8.1f}{peer_rss:>8.0f}MB")
        print(
            f"ratio (amparo / peer time): {r['seconds'] / peer_s:.2f}x; "
            f"amparo case verify of the archive: {r['verify_seconds']:.2f} s"
        )


if __name__ == "__main__":
    main()
