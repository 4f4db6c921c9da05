"""Bulk import through the CLI: ``amparo bank import`` of N random PDQ hashes, as a user runs it.

For each side and database: a fresh database (PostgreSQL: its own, created and dropped here;
SQLite: a new data directory), ``amparo bank create``, then ``amparo bank import BANK
FILE.csv`` timed from launch to exit, the process's CPU time (user + system, from
``wait4``) and, on PostgreSQL, the CPU time the database's processes spent meanwhile (from
``/proc``: the server's live processes plus the backends it reaped). Sides alternate
(A B A B ...) so that drift on a shared machine falls on both.

Peers, in the same run: with ``--hma``, HMA's bulk path (a hash-list exchange fetched by
``flask fetch``, then ``flask build_indices``: ``bench/setup_hma_peer.sh load N``, HMA
installed beforehand with ``bench/setup_hma_peer.sh install``), in rows/s to matchable, each
round on PostgreSQL; with ``--against SRC`` (a ``src`` folder of another checkout, e.g.
``git worktree add /tmp/old REV``), Amparo at another revision: the ratio says what a
change did.

Run:  .venv/bin/python bench/bench_import.py [--rows 1000000] [--rounds 2] [--db postgres]
      [--hma] [--against /tmp/old/src] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

BANK = "BENCH_IMPORT"


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process so far, exited backends included (the
    postmaster's reaped children's times)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as f:
        f.write("pdq\n")
        for _ in range(rows):
            f.write(f"{rng.getrandbits(256):064x}\n")


def one_import(
    workdir: Path, csv: Path, rows: int, db: str, pg_url: str, src: str | None
) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    data = Path(tempfile.mkdtemp(dir=workdir))
    env.update(AMPARO_DATA_DIR=str(data), AMPARO_ENV="dev")
    if src is not None:
        env["PYTHONPATH"] = src
    name = f"amparo_bench_import_{os.getpid()}"
    if db == "postgres":
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        base = pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        env["AMPARO_DATABASE_URL"] = f"{base}/{name}"
    amparo = shutil.which("amparo", path=str(Path(sys.executable).parent)) or "amparo"
    try:
        subprocess.run([amparo, "bank", "create", BANK], env=env, check=True, capture_output=True)
        pg_before = postgres_cpu_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [amparo, "bank", "import", BANK, str(csv), "--quiet"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out = proc.stdout.read().decode() if proc.stdout else ""
        if os.waitstatus_to_exitcode(status) != 0 or f"imported {rows} " not in out:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"the import failed: {out} {err}")
        return {
            "rows_per_s": rows / wall,
            "wall_s": wall,
            "python_cpu_s": usage.ru_utime + usage.ru_stime,
            "postgres_cpu_s": postgres_cpu_seconds() - pg_before if db == "postgres" else 0.0,
        }
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if db == "postgres":
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def hma_load(rows: int) -> float:
    """HMA's rows/s to matchable for ``rows`` hashes (``setup_hma_peer.sh load``)."""
    script = Path(__file__).with_name("setup_hma_peer.sh")
    out = subprocess.run(
        [str(script), "load", str(rows)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"total [\d.]+ s \(([\d,]+) rows/s to matchable\)", out)
    if found is None:
        raise RuntimeError(f"unexpected output of setup_hma_peer.sh load: {out!r}")
    return float(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--against", metavar="SRC", help="another Amparo's src folder")
    parser.add_argument("--hma", action="store_true", help="time HMA's load too (PostgreSQL)")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sides: dict[str, str | None] = {"amparo": None}
    if args.against:
        sides["against"] = str(Path(args.against).resolve())
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="amparo-bench-import-") as tmp:
        workdir = Path(tmp)
        csv = workdir / "hashes.csv"
        write_csv(csv, args.rows, args.seed)
        for db in dbs:
            results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
            for n in range(args.rounds):
                for side, src in sides.items():
                    r = one_import(workdir, csv, args.rows, db, args.pg_url, src)
                    results[side].append(r)
                    print(
                        f"{db} round {n + 1} {side}: {r['rows_per_s']:,.0f} rows/s "
                        f"({r['wall_s']:.1f} s; CPU: Python {r['python_cpu_s']:.1f} s, "
                        f"PostgreSQL {r['postgres_cpu_s']:.1f} s)",
                        flush=True,
                    )
                if args.hma and db == "postgres":
                    rate = hma_load(args.rows)
                    results.setdefault("hma", []).append({"rows_per_s": rate})
                    print(f"{db} round {n + 1} HMA: {rate:,.0f} rows/s to matchable", flush=True)
            median = {
                s: statistics.median(x["rows_per_s"] for x in rs) for s, rs in results.items()
            }
            line = f"{db}: {args.rows:,} rows, median {median['amparo']:,.0f} rows/s"
            if "against" in median:
                line += f"; {median['amparo'] / median['against']:.2f}x the other revision"
            if "hma" in median:
                line += f"; {median['amparo'] / median['hma']:.1f}x HMA's"
            print(line, flush=True)


if __name__ == "__main__":
    main()
