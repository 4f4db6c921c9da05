"""The server integrates and signs the ledger by itself."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from amparo import banks
from amparo.api import create_app
from amparo.config import Settings
from amparo.runtime import Amparo


def test_server_publishes_checkpoints_of_changes(tmp_path: Path, database_url: str) -> None:
    cfg = Settings(data_dir=tmp_path / "d", database_url=database_url)
    runtime = Amparo.open(cfg)
    try:
        with TestClient(create_app(cfg, amparo=runtime)) as client:
            assert client.get("/ledger/checkpoint").status_code == 404
            with runtime.session() as s:
                banks.create_bank(s, "LOGGED")
            # The worker's round, run now instead of waiting for its interval.
            assert runtime.worker("ledger").run_now()
            checkpoint = client.get("/ledger/checkpoint")
            assert checkpoint.status_code == 200
            origin, size = checkpoint.text.splitlines()[:2]
            assert origin == "amparo.localhost/ledger" and int(size) >= 1
    finally:
        runtime.close()
