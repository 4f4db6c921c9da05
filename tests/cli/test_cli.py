from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import app
from amparo.media import synthetic

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _image(path: Path, seed: int, kind: synthetic.Kind = "photo_like") -> Path:
    path.write_bytes(synthetic.encode(synthetic.make(kind, 640, 480, seed=seed), "JPEG"))
    return path


def test_hash_json(env: Path) -> None:
    img = _image(env / "a.jpg", 1)
    r = runner.invoke(app, ["hash", "--json", str(img)])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout.strip())
    assert set(row) >= {"path", "md5", "sha256", "pdq", "pdq_quality"}
    assert len(row["pdq"]) == 64


def test_bank_add_and_match_exit_codes(env: Path) -> None:
    known = _image(env / "known.jpg", 2)
    other = _image(env / "other.jpg", 3, "text")
    assert runner.invoke(app, ["bank", "create", "KNOWN"]).exit_code == 0
    r = runner.invoke(app, ["bank", "add", "KNOWN", "--file", str(known), "--category", "A1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["match", "--json", str(other)])
    assert r.exit_code == 0 and json.loads(r.stdout)["matches"] == []
    r = runner.invoke(app, ["match", "--json", str(known)])
    assert r.exit_code == 1
    assert json.loads(r.stdout)["matches"][0]["bank"] == "KNOWN"
    r = runner.invoke(app, ["bank", "disable", "KNOWN", "1"])
    assert r.exit_code == 0
    assert runner.invoke(app, ["match", str(known)]).exit_code == 0


def test_input_errors_exit_2(env: Path) -> None:
    empty = env / "empty.jpg"
    empty.write_bytes(b"")
    r = runner.invoke(app, ["hash", str(empty)])
    assert r.exit_code == 2 and "empty" in r.output.lower()
    assert runner.invoke(app, ["hash", str(env / "missing.jpg")]).exit_code == 2
    r = runner.invoke(app, ["bank", "create", "lower"])
    assert r.exit_code == 2 and "UPPER_WITH_UNDERSCORE" in r.output
    runner.invoke(app, ["bank", "create", "DUP"])
    r = runner.invoke(app, ["bank", "create", "DUP"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["bank", "add", "NOPE", "--md5", "0" * 32])
    assert r.exit_code == 2 and "no bank named" in r.output
    r = runner.invoke(app, ["bank", "add", "DUP", "--pdq", "xyz"])
    assert r.exit_code == 2 and "pdq" in r.output.lower()
    assert runner.invoke(app, ["keys", "create", "--role", "god", "--name", "x"]).exit_code == 2
    assert runner.invoke(app, ["nonsense"]).exit_code == 2


def test_import_bad_rows_exit_2_then_skip(env: Path) -> None:
    runner.invoke(app, ["bank", "create", "IMP"])
    csv = env / "l.csv"
    csv.write_text("md5\n" + "0" * 32 + "\nnothex\n")
    r = runner.invoke(app, ["bank", "import", "IMP", str(csv)])
    assert r.exit_code == 2 and "row 3" in r.output
    r = runner.invoke(app, ["bank", "import", "IMP", str(csv), "--skip-bad-rows"])
    assert r.exit_code == 0 and "imported 1" in r.output and "row 3" in r.output


def test_keys_create_prints_key_once(env: Path) -> None:
    r = runner.invoke(app, ["keys", "create", "--role", "scanner", "--name", "uploader"])
    assert r.exit_code == 0
    assert r.stdout.strip().startswith("amp_")
    listed = runner.invoke(app, ["keys", "list"])
    assert "uploader" in listed.stdout and r.stdout.strip() not in listed.stdout


@pytest.mark.slow
def test_demo_runs(tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "classified as expected" in r.stdout
    assert "7/7 platforms measured as their behaviour says" in r.stdout


def test_two_gigabyte_file_is_refused_without_reading_it(env: Path) -> None:
    big = env / "big.jpg"
    with big.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(2 * 1024**3)
    r = runner.invoke(app, ["hash", str(big)])
    assert r.exit_code == 2 and "over the" in r.output and "AMPARO_MEDIA_MAX_BYTES" in r.output


def test_an_unsupported_format_is_matched_by_its_digests(env: Path) -> None:
    pdf = env / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    r = runner.invoke(app, ["match", str(pdf)])
    assert r.exit_code == 0 and "no PDQ" in r.output and "PDF" in r.output
