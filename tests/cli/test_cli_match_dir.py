"""``amparo match DIR``: recursive, resumable, with progress; one JSON shape for signals."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import _progress, app
from amparo.media import synthetic

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _jpeg(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synthetic.encode(synthetic.make("photo_like", 320, 240, seed=seed), "JPEG"))
    return path


def _uploads(root: Path) -> Path:
    _jpeg(root / "uploads" / "a.jpg", 1)
    _jpeg(root / "uploads" / "day2" / "b.jpg", 2)
    _jpeg(root / "uploads" / "day2" / "deeper" / "c.jpg", 3)
    return root / "uploads"


def test_a_directory_is_scanned_recursively(env: Path) -> None:
    uploads = _uploads(env)
    assert runner.invoke(app, ["bank", "create", "KNOWN"]).exit_code == 0
    r = runner.invoke(app, ["bank", "add", "KNOWN", "--file", str(uploads / "day2" / "b.jpg")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["match", str(uploads), "--json"])
    assert r.exit_code == 1, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [Path(row["path"]).name for row in rows] == ["a.jpg", "b.jpg", "c.jpg"]
    assert [row["matched"] for row in rows] == [False, True, False]
    assert "3 file(s): some matched" in r.stderr


def test_resume_skips_what_was_done_and_keeps_the_outcome(env: Path) -> None:
    uploads = _uploads(env)
    state = env / "scan.state"
    assert runner.invoke(app, ["bank", "create", "KNOWN"]).exit_code == 0
    r = runner.invoke(app, ["bank", "add", "KNOWN", "--file", str(uploads / "a.jpg")])
    assert r.exit_code == 0
    # An earlier run did a.jpg (matched) and was interrupted while writing the next line.
    r = runner.invoke(app, ["match", str(uploads / "a.jpg"), "--resume", str(state)])
    assert r.exit_code == 1
    with state.open("a") as fh:
        fh.write('{"path": "/cut/sho')
    r = runner.invoke(app, ["match", str(uploads), "--json", "--resume", str(state)])
    assert r.exit_code == 1, r.output  # a.jpg matched in the earlier run
    assert [Path(json.loads(line)["path"]).name for line in r.stdout.splitlines()] == [
        "b.jpg",
        "c.jpg",
    ]
    assert "skipping 1 file(s) already done" in r.stderr
    r = runner.invoke(app, ["match", str(uploads), "--json", "--resume", str(state)])
    assert r.exit_code == 1 and r.stdout == ""
    done = [json.loads(line) for line in state.read_text().splitlines() if line.endswith("}")]
    assert sorted(Path(d["path"]).name for d in done) == ["a.jpg", "b.jpg", "c.jpg"]


def test_an_unreadable_resume_file_is_a_clear_error(env: Path) -> None:
    uploads = _uploads(env)
    state = env / "state"
    state.mkdir()
    r = runner.invoke(app, ["match", str(uploads), "--resume", str(state)])
    assert r.exit_code == 2 and "cannot read the resume file" in r.output, r.output


def test_hash_and_match_json_carry_the_api_pdq_shape_and_the_flat_keys(env: Path) -> None:
    img = _jpeg(env / "a.jpg", 1)
    hashed = json.loads(runner.invoke(app, ["hash", "--json", str(img)]).stdout)
    r = runner.invoke(app, ["match", "--json", str(img)])
    matched = json.loads(r.stdout)
    for row in (hashed, matched):
        pdq = row["signals"]["pdq"]
        assert set(pdq) == {"hash", "quality", "low_quality"}
        assert row["pdq"] == pdq["hash"] and row["pdq_quality"] == pdq["quality"]
        assert row["md5"] == row["signals"]["md5"] and row["sha256"] == row["signals"]["sha256"]
    assert {"scan_id", "matched", "matches", "provenance", "pdq_low_quality"} <= set(matched)


def test_progress_lines_when_not_a_terminal_and_quiet_silences_them(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    uploads = _uploads(env)
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        r = runner.invoke(app, ["match", str(uploads)])
    assert r.exit_code == 0, r.output
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "amparo.progress"]
    assert lines and lines[-1].startswith("scanning: 3/3 files")
    assert "files/s" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        r = runner.invoke(app, ["match", str(uploads), "--quiet"])
    assert r.exit_code == 0
    assert not [rec for rec in caplog.records if rec.name == "amparo.progress"]
    assert "file(s)" not in r.stderr


def test_import_reports_progress(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    listing = env / "list.csv"
    listing.write_text("md5\n" + "".join(f"{i:032x}\n" for i in range(20)))
    monkeypatch.setattr(_progress, "INTERVAL", 0.0)
    assert runner.invoke(app, ["bank", "create", "LIST"]).exit_code == 0
    with caplog.at_level(logging.INFO, logger="amparo.progress"):
        r = runner.invoke(app, ["bank", "import", "LIST", str(listing)])
    assert r.exit_code == 0, r.output
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "amparo.progress"]
    assert lines[-1].startswith("importing into LIST: 20/20 rows")
