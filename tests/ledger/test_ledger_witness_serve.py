"""``amparo witness serve`` as a real process, cosigning over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from amparo import ledger
from amparo.ledger import Ledger, Signer, WitnessPeer
from amparo.ledger._note import ALG_COSIGNATURE_V1
from amparo.runtime import Amparo

LAUNCH = (
    "import typer; from amparo.cli._witness import app; "
    "root = typer.Typer(); root.add_typer(app, name='witness'); root()"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_witness_process_cosigns_for_the_log(
    tmp_path: Path,
    amparo: Amparo,
    log_signer: Signer,
    add_entries: Callable[[int], list[int]],
) -> None:
    witness = ledger.generate_signer("regulator.test/witness", ALG_COSIGNATURE_V1)
    ledger.write_signer(tmp_path / "w.key", witness)
    port = _free_port()
    args = [
        "witness",
        "serve",
        "--key",
        str(tmp_path / "w.key"),
        "--log-vkey",
        log_signer.verifier.vkey,
    ]
    args += ["--state", str(tmp_path / "w.db"), "--port", str(port)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/add-checkpoint", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "witness did not start"
                time.sleep(0.1)
        peer = WitnessPeer.parse(f"{url} {witness.verifier.vkey}")
        log = Ledger(amparo.engine, signer=log_signer, witnesses=[peer])
        ids = add_entries(3)
        log.integrate()
        log.checkpoint()
        add_entries(2)
        log.integrate()
        log.checkpoint()
        checked = ledger.check_proof(log.prove(ids[1]), log_signer.verifier, [witness.verifier])
        assert checked.checkpoint.size == 6
    finally:
        proc.terminate()
        proc.wait(timeout=10)
