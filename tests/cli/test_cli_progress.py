"""Progress: a bar with count, rate and time left on a terminal; log lines otherwise; quiet."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from amparo.cli import _progress, app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    monkeypatch.setenv("AMPARO_LEDGER_ORIGIN", "progress.example/log")
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    return tmp_path


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "amparo.progress"]


def test_on_a_terminal_a_bar_shows_count_rate_and_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    monkeypatch.setattr(_progress, "err", terminal)
    with _progress.Reporter("importing", "rows", total=10) as bar:
        for done in range(1, 8):
            bar.update(done)
    shown = screen.getvalue()  # every frame drawn, the last one (on stop) included
    assert "importing" in shown and "7/10" in shown and "rows/s" in shown and "left" in shown


def test_quiet_shows_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    with (
        caplog.at_level(logging.INFO, logger="amparo.progress"),
        _progress.Reporter("work", "items", total=3, quiet=True) as bar,
    ):
        bar.update(3)
    assert not _lines(caplog)


def test_ledger_verify_reports_progress(env: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("ONE", "TWO", "THREE"):
        assert runner.invoke(app, ["bank", "create", name]).exit_code == 0
    assert runner.invoke(app, ["ledger", "checkpoint"]).exit_code == 0
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        r = runner.invoke(app, ["ledger", "verify"])
    assert r.exit_code == 0, r.output
    assert re.match(r"verifying the ledger: (\d+)/\1 entries", _lines(caplog)[-1])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        assert runner.invoke(app, ["ledger", "verify", "--quiet"]).exit_code == 0
    assert not _lines(caplog)


def test_exchange_fetch_reports_progress(env: Path, caplog: pytest.LogCaptureFixture) -> None:
    listing = env / "list.txt"
    listing.write_text(
        "".join(hashlib.sha256(str(i).encode()).hexdigest() + "\n" for i in range(5))
    )
    assert runner.invoke(app, ["bank", "create", "FEED"]).exit_code == 0
    r = runner.invoke(
        app,
        [
            *("exchange", "add", "mylist", "--api", "file", "--bank", "FEED"),
            *("--path", str(listing), "--set", "signal_type=pdq"),
        ],
    )
    assert r.exit_code == 0, r.output
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        r = runner.invoke(app, ["exchange", "fetch", "mylist"])
    assert r.exit_code == 0 and "5 added" in r.stdout, r.output
    lines = _lines(caplog)
    assert lines and lines[-1].startswith("mylist: ") and "5 items" in lines[-1]
