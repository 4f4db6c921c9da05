"""The liveness probe answers without a key, so it must say nothing about the data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amparo.api import create_app
from amparo.config import SERVE_GROUP_ENV, Settings
from amparo.runtime import Amparo

Headers = Callable[[str], dict[str, str]]


def test_healthz_says_nothing_about_the_data(client: TestClient, headers: Headers) -> None:
    empty = client.get("/healthz")
    curator = headers("curator")
    assert client.post("/v1/banks", json={"name": "SOME_BANK"}, headers=curator).status_code == 201
    entry = {"signals": {"md5": "0" * 32}, "note": "n"}
    r = client.post("/v1/banks/SOME_BANK/entries", json=entry, headers=curator)
    assert r.status_code == 201
    full = client.get("/healthz")
    assert empty.status_code == full.status_code == 200
    assert empty.json() == full.json() == {"status": "ok"}
    assert empty.content == full.content


def test_a_worker_group_is_ready_only_once_every_worker_has_loaded(
    settings: Settings, amparo: Amparo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under `amparo serve --workers 3`, this worker's own load is not enough: /readyz and
    HMA's /status wait for the other workers' reports, and a dead worker's report (uvicorn
    replaced it) does not count."""
    monkeypatch.setenv(SERVE_GROUP_ENV, f"3:{tmp_path}")
    with TestClient(create_app(settings, amparo=amparo)) as client:
        assert amparo.follower.ready.wait(30)
        mine = tmp_path / str(os.getpid())
        for _ in range(100):  # written by a thread once the load is done
            if mine.exists():
                break
            time.sleep(0.05)
        assert mine.exists()
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        (tmp_path / dead.stdout.strip()).touch()
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "loading" and r.json()["workers_loaded"] == 1
        assert r.json()["message"] == "1 of 3 workers have loaded the index"
        assert client.get("/status").text == "INDEX-NOT-LOADED"
        (tmp_path / str(os.getppid())).touch()  # a live process: the other workers
        (tmp_path / "not-a-pid").touch()
        assert client.get("/readyz").status_code == 503
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            (tmp_path / str(other.pid)).touch()
            assert client.get("/readyz").json() == {"status": "ready"}
            assert client.get("/status").text == "I-AM-ALIVE"
        finally:
            other.kill()
            other.wait()
        assert client.get("/readyz").status_code == 503


def test_one_worker_needs_no_group(
    settings: Settings, amparo: Amparo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVE_GROUP_ENV, "1:/nonexistent")
    with TestClient(create_app(settings, amparo=amparo)) as client:
        assert amparo.follower.ready.wait(30)
        assert client.get("/readyz").json() == {"status": "ready"}
