"""SIGKILL a real `amparo serve` while scans that match are being appended, many times:
no acknowledged scan is missing from the ledger, the tree verifies, and every checkpoint the
server published is part of the surviving tree."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from amparo import auth, banks
from amparo.banks import NewEntry
from amparo.config import Settings
from amparo.ledger import _repo
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import subtree_hash
from amparo.ledger._note import open_note
from amparo.media import synthetic
from amparo.runtime import Amparo
from amparo.signals import hash_media
from amparo.store import LedgerEntryRow

KILLS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scan_until_killed(
    url: str,
    key: str,
    image: bytes,
    pdq: str,
    acked: set[str],
    lookups: list[int],
    published: list[str],
    stop: threading.Event,
) -> None:
    """Scans (acknowledged by their scan id) and matched HMA lookups (group-committed:
    each 200 with a match promises a ledger record) until the server dies."""
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            try:
                r = client.post(
                    f"{url}/v1/scan?provenance=false",
                    files={"file": ("k.jpg", image)},
                    headers={"X-API-Key": key},
                )
                if r.status_code == 200:
                    acked.add(r.json()["scan_id"])
                r = client.get(
                    f"{url}/m/lookup",
                    params={"signal_type": "pdq", "signal": pdq},
                    headers={"X-API-Key": key},
                )
                if r.status_code == 200 and r.json().get("KNOWN"):
                    lookups.append(1)
                cp = client.get(f"{url}/ledger/checkpoint")
                if cp.status_code == 200:
                    published.append(cp.text)
            except httpx.HTTPError:
                return  # the server is gone


@pytest.mark.slow
def test_sigkill_server_loses_no_acknowledged_scan(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_LEDGER_CHECKPOINT_SECONDS": "0.05",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("AMPARO_DATABASE_URL", None)
    settings = Settings(data_dir=tmp_path)
    image = synthetic.encode(synthetic.make("photo_like", 320, 240, seed=9), "JPEG")
    runtime = Amparo.open(settings)
    signals = hash_media(image, settings.media)
    assert signals.pdq is not None
    with runtime.session() as s:
        _, key = auth.create_key(s, name="crash", role="scanner")
        banks.create_bank(s, "KNOWN")
        banks.add_entry(s, "KNOWN", NewEntry(signals={"pdq": signals.pdq.hex}))
    runtime.close()

    rng = random.Random(11)
    acked: set[str] = set()
    lookups: list[int] = []
    published: list[str] = []
    for _ in range(KILLS):
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from amparo.cli import main; main()",
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        stop = threading.Event()
        worker = threading.Thread(
            target=_scan_until_killed,
            args=(url, key, image, signals.pdq.hex, acked, lookups, published, stop),
        )
        worker.start()
        time.sleep(rng.uniform(0.3, 1.5))
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        worker.join(timeout=30)
    assert len(acked) > KILLS and lookups and published

    runtime = Amparo.open(settings)
    log = runtime.ledger
    size = log.integrate()
    log.checkpoint()
    assert log.verify_local().size == size
    assert log.verifier is not None
    with log.session() as s:
        matched = [
            json.loads(raw)["data"]
            for kind, raw in s.execute(select(LedgerEntryRow.kind, LedgerEntryRow.record))
            if kind == "scan.match"
        ]
        recorded = {m["scan_id"] for m in matched}
        assert acked <= recorded, f"{len(acked - recorded)} acknowledged scans lost"
        hash_lookups = sum(1 for m in matched if m["source"] == "hash")
        assert hash_lookups >= len(lookups), "acknowledged matched lookups lost"
        nodes = _repo.tile_nodes(s, size)
        for note in set(published):
            cp = Checkpoint.parse(open_note(note, [log.verifier])[0])
            assert cp.size <= size, "a checkpoint was published for entries that were lost"
            assert subtree_hash(nodes, 0, cp.size) == cp.root, f"lost state at size {cp.size}"
    runtime.close()
