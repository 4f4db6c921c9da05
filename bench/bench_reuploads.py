"""A scan's commit with many noticed items: what the re-upload check costs as they grow.

Every scan is checked, in its group commit, against the items already noticed to platforms
(re-uploads). For each number of noticed items (``--noticed``), on SQLite and PostgreSQL,
this commits ``--scans`` scan records one at a time through the runtime's scan writer (scan
row, decision, effects: the re-upload check among them) and reports the median commit next
to the peer measured in the same run, alternating: the same commit on a database with no
noticed item. The ratio says what the noticed items add (1.0: nothing). It also times the
first commit after they were noticed, which reads them all (what a server process pays
once, at its first scan). The table gets no statistics (no ``ANALYZE``), as after a fresh
import before autovacuum has run.

Run:  .venv/bin/python bench/bench_reuploads.py [--noticed 1000 10000 100000] [--db both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import insert

from amparo.config import Settings
from amparo.policy import ScanFacts, evaluate
from amparo.runtime import Amparo
from amparo.scan import ScanRecord, new_scan_id
from amparo.store import PlatformRow, SightingRow, create_engine_for, migrate

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "amparo_bench_reuploads"


def database(kind: str, tmp: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / name}.db"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}_{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DB}_{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine_for(f"{url}/{PG_DB}_{name}")
    migrate(engine)
    engine.dispose()
    return f"{url}/{PG_DB}_{name}"


def runtime(kind: str, tmp: Path, name: str) -> Amparo:
    url = database(kind, tmp, name)
    amparo = Amparo.open(Settings(data_dir=tmp / name, database_url=url))
    with amparo.session() as s:
        s.add(
            PlatformRow(
                id=1,
                name="example",
                hostnames=["example.invalid"],
                channel="email",
                channel_target="abuse@example.invalid",
                trusted_flagger=False,
                created_at=T0,
                updated_at=T0,
            )
        )
    amparo.scans.start()
    return amparo


def notice(amparo: Amparo, first: int, last: int, rng: random.Random) -> None:
    """Sightings ``first``..``last``, each noticed (numbered as ``mark_noticed`` would)."""
    rows = [
        {
            "platform_id": 1,
            "url": f"https://example.invalid/{i}",
            "host": "example.invalid",
            "first_seen_at": T0,
            "found_by": "bench",
            "recorded_at": T0,
            "evidence_id": f"e{i}",
            "md5": f"{i:032x}",
            "sha256": f"{i:064x}",
            "pdq": f"{rng.getrandbits(256):064x}",
            "matched_banks": [],
            "state": "open",
            "notices_sent": 1,
            "notice_failures": 0,
            "check_failures": 0,
            "first_notice_at": T0,
            "noticed_seq": i,
        }
        for i in range(first, last + 1)
    ]
    with amparo.session() as s:
        for k in range(0, len(rows), 5000):
            s.execute(insert(SightingRow.__table__), rows[k : k + 5000])


def commit_one(amparo: Amparo, rng: random.Random) -> float:
    """One scan record (a PDQ that matches nothing noticed) committed; seconds."""
    decision = evaluate(amparo.policy, ScanFacts())
    record = ScanRecord(
        new_scan_id(),
        "hash",
        None,
        {"pdq": f"{rng.getrandbits(256):064x}"},
        None,
        (),
        None,
        None,
        decision=decision,
    )
    t = time.perf_counter()
    amparo.scans.submit(record).result()
    return time.perf_counter() - t


def run(kind: str, counts: list[int], scans: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        measured = runtime(kind, Path(tmp), "noticed")
        peer = runtime(kind, Path(tmp), "peer")
        try:
            print(f"\n{kind}: the commit of one scan record, median of {scans}")
            print("| noticed items | first commit after | commit | peer (none noticed) | ratio |")
            print("|---:|---:|---:|---:|---:|")
            have = 0
            for count in counts:
                notice(measured, have + 1, count, rng)
                have = count
                first = commit_one(measured, rng)
                time.sleep(1.0)  # the PDQ index folds a big delta in, in the background
                mine: list[float] = []
                theirs: list[float] = []
                for _ in range(10):  # alternating, through the machine's drift
                    mine += [commit_one(measured, rng) for _ in range(scans // 10)]
                    theirs += [commit_one(peer, rng) for _ in range(scans // 10)]
                a, b = statistics.median(mine), statistics.median(theirs)
                print(
                    f"| {count:,} | {first * 1000:.1f} ms | {a * 1000:.2f} ms "
                    f"| {b * 1000:.2f} ms | {a / b:.2f} |"
                )
        finally:
            measured.close()
            peer.close()
    if kind == "postgres":
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for name in ("noticed", "peer"):
                admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}_{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noticed", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        run(kind, sorted(args.noticed), args.scans)


if __name__ == "__main__":
    main()
