"""Scan ids: inserts into a large scans table, time-ordered ids against random UUIDs.

Amparo's scan ids are UUIDs of version 7 (``amparo.scan.new_scan_id``: the time first, so
new rows go to the end of the primary key); the peer is what they were before, random
UUIDs (``uuid.uuid4``), which put each new row at a random place in the key's index. For
each side: a fresh PostgreSQL database with Amparo's ``scans`` table, ``--rows`` scans
already in it (ids of that side's kind, as a server that has been running a while), a
checkpoint, then ``--inserts`` scans inserted in transactions of 10 (a scan writer's group
commit under load). Reports inserts/s and the WAL written per insert (PostgreSQL writes a
page's full image the first time it changes after a checkpoint, so scattered inserts write
far more), and the ratios.

Run:  .venv/bin/python bench/bench_scan_ids.py [--rows 3000000] [--inserts 20000]
      [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable

import psycopg
from sqlalchemy import insert, text

from amparo.scan import new_scan_id
from amparo.store import ScanRow, create_engine_for, metadata, utcnow

SIDES: dict[str, Callable[[], str]] = {"amparo": new_scan_id, "peer": lambda: str(uuid.uuid4())}
# The prefill, in SQL: random ids for the peer; for Amparo, ids whose first 48 bits count
# up (what a server that made them over time has).
PREFILL = {
    "peer": "gen_random_uuid()::text",
    "amparo": "lpad(to_hex(g), 12, '0') || '-7000-8000-' || lpad(to_hex(g), 12, '0')",
}


def run(admin_url: str, side: str, rows: int, inserts: int) -> tuple[float, float]:
    db = f"amparo_bench_scan_ids_{side}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        admin.execute(f'CREATE DATABASE "{db}"')
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + db
    engine = create_engine_for(url)
    table = metadata.tables[ScanRow.__tablename__]
    try:
        metadata.create_all(engine, tables=[table])
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO scans (id, created_at, source, matches) SELECT {PREFILL[side]}, "
                    "now(), 'upload', '[]' FROM generate_series(1, :n) g"
                ),
                {"n": rows},
            )
            conn.execute(text("ANALYZE scans"))
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("CHECKPOINT"))
            start_lsn = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
        make = SIDES[side]
        t0 = time.perf_counter()
        for _ in range(inserts // 10):
            with engine.begin() as conn:
                conn.execute(
                    insert(table),
                    [
                        {"id": make(), "created_at": utcnow(), "source": "upload", "matches": []}
                        for _ in range(10)
                    ],
                )
        elapsed = time.perf_counter() - t0
        with engine.connect() as conn:
            wal = conn.execute(
                text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :lsn)"), {"lsn": start_lsn}
            ).scalar_one()
    finally:
        engine.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return inserts / elapsed, float(wal) / inserts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000, help="scans already stored")
    parser.add_argument("--inserts", type=int, default=20_000, help="scans inserted, timed")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.rounds):
        for side in ("peer", "amparo"):
            rate, wal = run(args.pg_url, side, args.rows, args.inserts)
            print(f"{side:6s} {rate:8,.0f} inserts/s  {wal:8,.0f} WAL bytes/insert", flush=True)
            if side not in best or rate > best[side][0]:
                best[side] = (rate, wal)
    (ours, our_wal), (peer, peer_wal) = best["amparo"], best["peer"]
    print(
        f"\n{args.rows:,} scans stored, {args.inserts:,} inserted in groups of 10 (best of "
        f"{args.rounds}): {ours / peer:.2f}x the inserts/s of random UUIDs, "
        f"{peer_wal / our_wal:.1f}x less WAL per insert"
    )


if __name__ == "__main__":
    main()
