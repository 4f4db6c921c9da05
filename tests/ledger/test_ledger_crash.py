"""SIGKILL the writer at random points: nothing acknowledged is lost, the tree verifies, and
no checkpoint was ever signed for a state that did not survive."""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from amparo import ledger
from amparo.ledger import _repo
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import subtree_hash
from amparo.ledger._note import open_note
from amparo.store import LedgerEntryRow, create_engine_for, migrate

CHILD = Path(__file__).with_name("ledger_crash_child.py")
KILLS = 10


@pytest.mark.slow
def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = create_engine_for(url)
    migrate(engine)
    signer = ledger.generate_signer("crash.example/log")
    ledger.write_signer(tmp_path / "log.key", signer)
    rng = random.Random(4)
    acked: set[int] = set()
    signed: list[str] = []
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(CHILD), url, str(tmp_path / "log.key")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # wait until it is writing
        assert first.startswith("ack"), first
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)
        for line in [first, *rest.splitlines()]:
            kind, _, value = line.strip().partition(" ")
            if kind == "ack":
                acked.add(int(value))
            elif kind == "cp":
                signed.append(base64.b64decode(value).decode())
    assert len(acked) > KILLS and signed

    log = ledger.Ledger(engine, signer=signer)
    size = log.integrate()
    log.checkpoint()
    assert log.verify_local().size == size
    with log.session() as s:
        stored = set(s.scalars(select(LedgerEntryRow.id)))
        nodes = _repo.tile_nodes(s, size)
        assert acked <= stored
        for note in signed:
            cp = Checkpoint.parse(open_note(note, [signer.verifier])[0])
            assert cp.size <= size, "a checkpoint was signed for entries that were lost"
            assert subtree_hash(nodes, 0, cp.size) == cp.root, f"lost state at size {cp.size}"
    engine.dispose()
