"""``amparo bank export``, ``find``, ``update`` and ``entries``, and their bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from amparo.cli import app

runner = CliRunner()
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
NEAR = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9bdd"  # 8 bits away
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _ok(*args: str) -> Result:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r


def _fails(*args: str, says: str) -> None:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 2 and says in r.output, r.output
    assert "Traceback" not in r.output


def _fill(bank: str) -> None:
    _ok("bank", "create", bank)
    _ok("bank", "add", bank, "--pdq", PDQ, "--category", "A1", "--tag", "generative_ai")
    _ok("bank", "add", bank, "--md5", MD5, "--tags", "x,y", "--note", 'say "hi", twice')
    _ok("bank", "add", bank, "--sha256", "c" * 64, "--source-id", "s-1")
    _ok("bank", "disable", bank, "3")


def _entries(bank: str) -> list[dict[str, object]]:
    r = _ok("bank", "entries", bank, "--json")
    keep = ("signals", "source", "source_id", "category", "tags", "note", "enabled")
    return [{k: json.loads(line)[k] for k in keep} for line in r.stdout.splitlines()]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_then_import_round_trips(env: Path, fmt: str) -> None:
    _fill("SOURCE")
    out = env / f"source.{fmt}"
    r = _ok("bank", "export", "SOURCE", "--out", str(out))
    assert "exported 3 entries" in r.stderr
    _ok("bank", "create", "COPY")
    r = _ok("bank", "import", "COPY", str(out))
    assert "3 added" in r.stdout
    assert _entries("COPY") == _entries("SOURCE")
    r = _ok("bank", "import", "SOURCE", str(out))  # its own export changes nothing
    assert "0 added, 0 updated, 3 unchanged" in r.stdout
    assert _ok("bank", "export", "COPY", "--format", fmt).stdout == out.read_text()


def test_export_to_stdout_is_csv_with_the_import_header(env: Path) -> None:
    _fill("SOURCE")
    lines = _ok("bank", "export", "SOURCE").stdout.splitlines()
    assert lines[0].split(",")[:4] == ["pdq", "md5", "sha256", "video_md5"]
    assert len(lines) == 4


def test_export_bad_inputs(env: Path) -> None:
    _fails("bank", "export", "NOPE", says="no bank named 'NOPE'")
    _ok("bank", "create", "SOURCE")
    _fails("bank", "export", "SOURCE", "--format", "xml", says="unknown format 'xml'")
    _fails("bank", "export", "SOURCE", "--out", str(env / "no" / "dir.csv"), says="cannot write")


def test_find_by_pdq_with_distance_and_by_digests(env: Path) -> None:
    _fill("ONE")
    _ok("bank", "create", "TWO", "--threshold", "4")
    _ok("bank", "add", "TWO", "--pdq", PDQ)
    r = _ok("bank", "find", "--pdq", NEAR, "--json")
    found = [json.loads(line) for line in r.stdout.splitlines()]
    # TWO's threshold (4) leaves its entry out; ONE's (31) takes it, 8 bits away.
    assert [(f["bank"], f["distance"]) for f in found] == [("ONE", 8)]
    r = _ok("bank", "find", "--pdq", NEAR, "--max-distance", "10", "--json")
    assert sorted(json.loads(line)["bank"] for line in r.stdout.splitlines()) == ["ONE", "TWO"]
    r = _ok("bank", "find", "--pdq", PDQ, "--bank", "TWO")
    assert "TWO" in r.stdout and "ONE" not in r.stdout
    r = _ok("bank", "find", "--sha256", "C" * 64, "--json")
    (disabled,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert disabled["enabled"] is False and disabled["source_id"] == "s-1"
    r = _ok("bank", "find", "--md5", "0" * 32)
    assert "no entry holds that hash" in r.stderr


def test_find_bad_inputs(env: Path) -> None:
    _ok("bank", "create", "ONE")
    _fails("bank", "find", says="no hash given")
    _fails("bank", "find", "--pdq", "xyz", says="pdq")
    _fails("bank", "find", "--md5", MD5, "--bank", "NOPE", says="no bank named 'NOPE'")
    _fails("bank", "find", "--pdq", PDQ, "--max-distance", "300", says="--max-distance")


def test_update_changes_threshold_ratio_description_and_name(env: Path) -> None:
    _fill("OLD")
    r = _ok("bank", "update", "OLD", "--threshold", "12", "--description", "the old list")
    assert "PDQ threshold 12" in r.stdout
    _ok("bank", "update", "OLD", "--enabled-ratio", "0", "--rename", "NEW")
    (bank,) = [json.loads(line) for line in _ok("bank", "list", "--json").stdout.splitlines()]
    assert bank["name"] == "NEW" and bank["pdq_threshold"] == 12
    assert bank["matching_enabled_ratio"] == 0 and bank["description"] == "the old list"
    assert bank["entries"] == 3


def test_update_bad_inputs(env: Path) -> None:
    _ok("bank", "create", "ONE")
    _ok("bank", "create", "TWO")
    _fails("bank", "update", "ONE", says="nothing to change")
    _fails("bank", "update", "NOPE", "--threshold", "3", says="no bank named 'NOPE'")
    _fails("bank", "update", "ONE", "--rename", "TWO", says="already exists")
    _fails("bank", "update", "ONE", "--rename", "lower", says="UPPER_WITH_UNDERSCORE")
    _fails("bank", "update", "ONE", "--threshold", "200", says="--threshold")
    _fails("bank", "update", "ONE", "--enabled-ratio", "1.5", says="--enabled-ratio")


def test_entries_table_and_pages(env: Path) -> None:
    _fill("ONE")
    r = _ok("bank", "entries", "ONE", "--limit", "2")
    assert PDQ in r.stdout and MD5 in r.stdout and "more: amparo bank entries ONE" in r.stderr
    r = _ok("bank", "entries", "ONE", "--after-id", "2", "--json")
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [3]
    _fails("bank", "entries", "ONE", "--limit", "0", says="--limit")


def test_import_bad_inputs(env: Path) -> None:
    _ok("bank", "create", "ONE")
    listing = env / "list.txt"
    listing.write_text(f"md5\n{MD5}\n")
    _fails("bank", "import", "ONE", str(env / "none.csv"), says="no such file")
    _fails("bank", "import", "ONE", str(listing), "--format", "xml", says="unknown format 'xml'")
    _fails("bank", "import", "NOPE", str(listing), says="no bank named 'NOPE'")


def test_add_takes_tags_by_either_spelling(env: Path) -> None:
    _ok("bank", "create", "ONE")
    _ok("bank", "add", "ONE", "--md5", MD5, "--tag", "a", "--tag", "b,c", "--tags", "d")
    (entry,) = _entries("ONE")
    assert entry["tags"] == ["a", "b", "c", "d"]
    _fails("bank", "add", "ONE", "--md5", MD5, "--tag", "Bad Tag!", says="invalid tag")
