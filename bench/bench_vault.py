"""Evidence vault throughput against plain file writes and reads of the same bytes.

Items of ``--size`` bytes (default 200 KB of random bytes, the size of a typical JPEG upload)
are written and read back four ways, in the same run and on the same disk:

- **vault**: ``Vault.preserve`` / ``Vault.read``, each item in its own unit of work (the
  database row and its ledger entry committed, as a policy action or a reviewer does): a
  fresh data key, AES-256-GCM, the data key wrapped, the blob written atomically (temporary
  file, fsync, rename, fsync of the folder); reading unwraps, decrypts, checks the digest and
  records the custody entry.
- **vault, batched**: the same with ``--batch`` items per unit of work.
- **plain**: ``open(path, "wb").write(data)`` / ``path.read_bytes()`` — no durability.
- **durable plain**: the vault's own durability without crypto or database: write, fsync,
  rename, fsync of the folder.
- **seal + store** / **load + open**: the vault's crypto and storage without the database
  (data key, AES-256-GCM, wrap, atomic durable write; read, unwrap, decrypt and check).

Target (issue 10): vault throughput >= 0.5x the plain file writes and reads.

Run:  .venv/bin/python bench/bench_vault.py [--items 300] [--size 200000] [--postgres]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from amparo.auth import Principal
from amparo.config import Settings
from amparo.evidence import LocalBlobStore, LocalKeyFile
from amparo.evidence._crypto import ItemBinding, open_sealed, seal
from amparo.evidence._model import new_item_id
from amparo.evidence._storage import blob_name
from amparo.runtime import Runtime

TARGET = 0.5
PG_ADMIN = os.environ.get("AMPARO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
READER = Principal(key_id=0, name="bench", role="reviewer")


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _plain_write(folder: Path, items: list[bytes]) -> None:
    for n, data in enumerate(items):
        with open(folder / f"{n}.bin", "wb") as handle:
            handle.write(data)


def _plain_read(folder: Path, items: list[bytes]) -> None:
    for n in range(len(items)):
        (folder / f"{n}.bin").read_bytes()


def _durable_write(folder: Path, items: list[bytes]) -> None:
    for n, data in enumerate(items):
        tmp = folder / f".{n}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / f"{n}.bin")
        dir_fd = os.open(folder, os.O_RDONLY)
        os.fsync(dir_fd)
        os.close(dir_fd)


Sealed = list[tuple[ItemBinding, bytes, bytes]]


def _seal_and_store(root: Path, items: list[bytes], sealed: Sealed) -> None:
    keys = LocalKeyFile(root / "bench.key", create=True)
    store = LocalBlobStore(root / "blobs")
    for data in items:
        binding = ItemBinding(
            new_item_id(), hashlib.sha256(data).hexdigest(), len(data), None, "scan", None
        )
        box = seal(data, binding)
        wrapped = keys.wrap(box.data_key, context=binding.key_context())
        store.put(blob_name(binding.item_id), box.blob)
        sealed.append((binding, wrapped, box.nonce))


def _load_and_open(root: Path, sealed: Sealed) -> None:
    keys = LocalKeyFile(root / "bench.key")
    store = LocalBlobStore(root / "blobs")
    for binding, wrapped, nonce in sealed:
        data_key = keys.unwrap(wrapped, key_id=keys.key_id, context=binding.key_context())
        blob = store.get(blob_name(binding.item_id))
        assert data_key is not None and blob is not None
        assert open_sealed(data_key, nonce, blob, binding) is not None


def _pg_url(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    items = [secrets.token_bytes(args.size) for _ in range(args.items)]
    megabytes = args.items * args.size / 1e6
    with tempfile.TemporaryDirectory(prefix="amparo-bench-vault-") as tmp:
        root = Path(tmp)
        database = _pg_url("amparo_bench_vault") if args.postgres else None
        runtime = Runtime.open(Settings(data_dir=root / "data", database_url=database))
        vault = runtime.vault
        ids: list[str] = []

        def vault_write() -> None:
            for data in items:
                with runtime.session() as uow:
                    ids.append(vault.preserve(uow, data, source="scan").item_id)

        def vault_write_batched() -> None:
            for start in range(0, len(items), args.batch):
                with runtime.session() as uow:
                    for data in items[start : start + args.batch]:
                        vault.preserve(uow, data, source="scan")

        def vault_read() -> None:
            for item_id in ids:
                with runtime.session() as uow:
                    vault.read(uow, item_id, principal=READER, reason="benchmark")

        def vault_read_batched() -> None:
            for start in range(0, len(ids), args.batch):
                with runtime.session() as uow:
                    for item_id in ids[start : start + args.batch]:
                        vault.read(uow, item_id, principal=READER, reason="benchmark")

        plain, durable = root / "plain", root / "durable"
        plain.mkdir()
        durable.mkdir()
        vault_write_batched()  # warm up: key file, folders, connections
        sealed: Sealed = []
        results = {
            "plain write": _timed(lambda: _plain_write(plain, items)),
            "durable plain write": _timed(lambda: _durable_write(durable, items)),
            "seal + store": _timed(lambda: _seal_and_store(root, items, sealed)),
            "vault write": _timed(vault_write),
            "vault write, batched": _timed(vault_write_batched),
            "plain read": _timed(lambda: _plain_read(plain, items)),
            "load + open": _timed(lambda: _load_and_open(root, sealed)),
            "vault read": _timed(vault_read),
            "vault read, batched": _timed(vault_read_batched),
        }
        runtime.close()
        if args.postgres:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute('DROP DATABASE IF EXISTS "amparo_bench_vault" WITH (FORCE)')
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.items} items of {args.size:,} bytes ({megabytes:.0f} MB), {backend}")
    print(f"{'':24} {'MB/s':>8} {'items/s':>9}")
    for name, seconds in results.items():
        print(f"{name:24} {megabytes / seconds:8.0f} {args.items / seconds:9.0f}")
    print()
    pairs = (
        ("write", "plain write", ("seal + store", "vault write", "vault write, batched")),
        ("read", "plain read", ("load + open", "vault read", "vault read, batched")),
    )
    for _, peer, names in pairs:
        for name in names:
            ratio = results[peer] / results[name]
            verdict = "meets" if ratio >= TARGET else "misses"
            print(f"{name} / {peer}: {ratio:.2f}x ({verdict} the {TARGET}x target)")
    for name in ("seal + store", "vault write"):
        ratio = results["durable plain write"] / results[name]
        print(f"{name} / durable plain write: {ratio:.2f}x")


if __name__ == "__main__":
    main()
