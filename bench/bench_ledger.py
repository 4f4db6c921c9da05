"""Ledger throughput and proof cost.

1. Appends/s with a durable commit, batched (N ``record()`` calls per transaction), on SQLite
   (WAL; ``synchronous=NORMAL`` as Amparo configures it, and ``FULL``) and PostgreSQL
   (``synchronous_commit=on``), with 1 and 8 writer threads; plus how fast ``integrate()``
   moves committed entries into the tree. Target: Tessera's POSIX back end, ~10,000/s.
2. The time a scan spends on its ledger entry: median of ``record()`` + ``note_scan()``
   inside the scan's transaction. Target: < 1 ms.
3. Inclusion and consistency proofs at 10M entries: the tiles of 10M random leaves are stored
   in a SQLite ``ledger_tiles`` table; each proof reads its tiles from the database afresh.

Run:  .venv/bin/python bench/bench_ledger.py [--quick] [--leaves 10000000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session

from amparo import ledger
from amparo.ledger import _store
from amparo.ledger._merkle import (
    consistency_proof,
    inclusion_proof,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)
from amparo.ledger._tiles import tile_hash
from amparo.store import create_engine_for, migrate
from amparo.store._ledger_tables import LedgerTileRow

TESSERA_POSIX = 10_000.0  # appends/s, the figure quoted in issue 4
SCAN_TARGET_MS = 1.0
PG_ADMIN = os.environ.get("AMPARO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DATA = {"bank": "KNOWN", "entry_id": 123456, "distance": 7, "signal": "pdq", "scan": "x" * 36}


def _sqlite(path: Path, synchronous: str) -> Engine:
    engine = create_engine_for(f"sqlite:///{path}")
    if synchronous != "NORMAL":

        @event.listens_for(engine, "connect")
        def _sync(dbapi_conn: object, _rec: object) -> None:
            dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")  # type: ignore[attr-defined]

    migrate(engine)
    return engine


def _postgres() -> tuple[Engine, Callable[[], None]] | None:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    admin.execute('DROP DATABASE IF EXISTS "amparo_bench_ledger"')
    admin.execute('CREATE DATABASE "amparo_bench_ledger"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine_for(base + "/amparo_bench_ledger")
    migrate(engine)

    def drop() -> None:
        engine.dispose()
        admin.execute('DROP DATABASE IF EXISTS "amparo_bench_ledger" WITH (FORCE)')
        admin.close()

    return engine, drop


def appends(engine: Engine, total: int, batch: int, threads: int, bulk: bool) -> float:
    """Committed entries per second, ``batch`` per transaction, by ``record()`` calls or one
    ``record_many()`` call per transaction (``bulk``)."""
    per_thread = total // threads

    def work() -> None:
        done = 0
        while done < per_thread:
            n = min(batch, per_thread - done)
            with Session(engine) as s, s.begin():
                if bulk:
                    ledger.record_many(s, [("scan.match", DATA)] * n)
                else:
                    for _ in range(n):
                        ledger.record(s, "scan.match", DATA)
            done += n

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per_thread * threads / (time.perf_counter() - start)


def integrate_rate(engine: Engine) -> tuple[float, int]:
    log = ledger.Ledger(engine, signer=ledger.generate_signer("bench.example/log"))
    start = time.perf_counter()
    size = log.integrate(limit=10**9)
    log.checkpoint()
    return size / (time.perf_counter() - start), size


def scan_cost_ms(engine: Engine, n: int = 3000) -> float:
    times = []
    with Session(engine) as s, s.begin():
        for _ in range(n):
            t = time.perf_counter()
            ledger.note_scan(s)
            ledger.record(s, "scan.match", DATA)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def section_appends(engines: dict[str, Engine], quick: bool) -> None:
    print("## appends (durable commit per batch)")
    head = f"{'backend':<20}{'call':>13}{'batch':>6}{'threads':>8}{'appends/s':>11}{'vs 10k/s':>10}"
    print(head)
    runs = [(1, 1, False), (100, 1, False), (1000, 1, False), (100, 8, False)]
    runs += [(1000, 1, True), (1000, 4, True)]
    for name, engine in engines.items():
        for batch, threads, bulk in runs:
            total = (2_000 if batch == 1 else 40_000) // (4 if quick else 1)
            rate = appends(engine, total, batch, threads, bulk)
            call = "record_many" if bulk else "record"
            print(
                f"{name:<20}{call:>13}{batch:>6}{threads:>8}{rate:>11,.0f}"
                f"{rate / TESSERA_POSIX:>9.2f}x"
            )
        rate, size = integrate_rate(engine)
        print(f"{name:<20} integrate {size:,} entries: {rate:,.0f} entries/s into the tree")
    print()


def section_scan_cost(engines: dict[str, Engine]) -> None:
    print("## time a scan spends on its ledger entry (note_scan + record, median)")
    for name, engine in engines.items():
        ms = scan_cost_ms(engine)
        print(f"{name:<20}{ms * 1000:8.1f} us   target < 1 ms: {SCAN_TARGET_MS / ms:6.1f}x under")
    print()


def build_tiles(n: int, engine: Engine) -> None:
    """Store the tiles of ``n`` random leaf hashes (what integrate() would have written)."""
    level_data = os.urandom(32 * n)
    level = 0
    rows = []
    while level_data:
        up = []
        for t in range(0, len(level_data), 8192):
            chunk = level_data[t : t + 8192]
            rows.append({"level": level, "idx": t // 8192, "hashes": chunk})
            if len(chunk) == 8192:
                up.append(tile_hash(chunk))
        level_data = b"".join(up)
        level += 1
    with Session(engine) as s, s.begin():
        for i in range(0, len(rows), 2000):
            s.execute(insert(LedgerTileRow), rows[i : i + 2000])


def section_proofs(n: int, workdir: Path) -> None:
    print(f"## proofs at {n:,} entries (tiles read from SQLite for every proof)")
    engine = _sqlite(workdir / "tiles.db", "NORMAL")
    start = time.perf_counter()
    build_tiles(n, engine)
    print(f"built and stored the tiles of {n:,} leaves in {time.perf_counter() - start:.1f} s")
    rng = random.Random(1)
    gen, ver, cgen, cver = [], [], [], []
    with Session(engine) as s:
        root = subtree_hash(_store.tile_nodes(s, n), 0, n)
        for _ in range(200):
            index = rng.randrange(n)
            t = time.perf_counter()
            nodes = _store.tile_nodes(s, n)
            proof = inclusion_proof(nodes, index, n)
            leaf = nodes.node(0, index)
            gen.append(time.perf_counter() - t)
            t = time.perf_counter()
            verify_inclusion(index, n, leaf, proof, root)
            ver.append(time.perf_counter() - t)
            old = rng.randrange(1, n)
            t = time.perf_counter()
            nodes = _store.tile_nodes(s, n)
            cproof = consistency_proof(nodes, old, n)
            old_root = subtree_hash(nodes, 0, old)
            cgen.append(time.perf_counter() - t)
            t = time.perf_counter()
            verify_consistency(old, n, cproof, old_root, root)
            cver.append(time.perf_counter() - t)
    for label, xs in [
        ("inclusion proof, generate", gen),
        ("inclusion proof, verify", ver),
        ("consistency proof + old root, generate", cgen),
        ("consistency proof, verify", cver),
    ]:
        med = statistics.median(xs) * 1000
        print(f"{label:<40}{med:8.3f} ms median  (p95 {sorted(xs)[189] * 1000:.3f} ms)")
    print(f"proof length: {len(proof)} hashes")
    engine.dispose()
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer appends, 1M leaves")
    parser.add_argument("--leaves", type=int, default=None, help="tree size for proofs")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    leaves = args.leaves or (1_000_000 if args.quick else 10_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engines = {
            "sqlite WAL NORMAL": _sqlite(work / "normal.db", "NORMAL"),
            "sqlite WAL FULL": _sqlite(work / "full.db", "FULL"),
        }
        pg = None if args.no_postgres else _postgres()
        if pg is not None:
            engines["postgresql"] = pg[0]
            with pg[0].connect() as c:
                sync = c.execute(text("SHOW synchronous_commit")).scalar()
                fsync = c.execute(text("SHOW fsync")).scalar()
            print(f"postgresql: synchronous_commit={sync}, fsync={fsync}")
        print(f"cpus: {os.cpu_count()}\n")
        try:
            section_appends(engines, args.quick)
            section_scan_cost(engines)
        finally:
            for engine in engines.values():
                engine.dispose()
            if pg is not None:
                pg[1]()
        section_proofs(leaves, work)


if __name__ == "__main__":
    main()
