"""A matched scan request stays short: it crosses at most 55 of Amparo's modules (it
crossed about 80 before the application layer existed; 40 before every scan was decided by
a policy, whose facts and evaluation add two; 42 before a match's decision had effects: the
built-in policy seals the media in the evidence vault (six modules) and queues it for review
(three), through one effect module, and every scan is checked for re-uploads of noticed
items (two); 54 before group commits took turns on SQLite's writer lock, store._db). A new
layer on the hot path shows up here first."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi.testclient import TestClient

from amparo import auth, banks
from amparo.api import create_app
from amparo.banks import NewEntry
from amparo.config import Settings
from amparo.media import synthetic
from amparo.runtime import Amparo

LIMIT = 55


def test_a_matched_scan_crosses_at_most_55_modules(tmp_path: Path) -> None:
    # Background rounds stay out of the measurement: they would run at these intervals.
    settings = Settings(
        data_dir=tmp_path, index_refresh_seconds=3600, ledger_checkpoint_seconds=3600
    )
    runtime = Amparo.open(settings)
    image = synthetic.encode(synthetic.make("photo_like", 1000, 1000, seed=3), "JPEG")
    pdq = runtime.hasher.hash(image).pdq
    assert pdq is not None
    with runtime.session() as s:
        _, key = auth.create_key(s, name="k", role="scanner")
        banks.create_bank(s, "B")
        banks.add_entry(s, "B", NewEntry(signals={"pdq": pdq.hex}))
    crossed: set[str] = set()
    measuring = False

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if measuring and "/src/amparo/" in frame.f_code.co_filename:
            crossed.add(frame.f_code.co_filename.split("/src/")[1])

    sys.setprofile(profile)
    threading.setprofile(profile)  # the app's request threads start after this
    try:
        with TestClient(create_app(settings, amparo=runtime)) as client:
            assert runtime.worker("catalog").run_now()  # loaded before anything is measured
            headers = {"X-API-Key": key}
            client.post("/v1/scan", files={"file": ("a.jpg", image)}, headers=headers)
            measuring = True
            r = client.post("/v1/scan", files={"file": ("a.jpg", image)}, headers=headers)
            measuring = False
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        runtime.close()
    assert r.status_code == 200 and r.json()["matched"]
    assert len(crossed) <= LIMIT, f"{len(crossed)} modules: {sorted(crossed)}"
