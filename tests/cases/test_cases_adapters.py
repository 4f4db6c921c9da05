"""``amparo case ...`` and ``/v1/cases``: the adapters over the built-in scan sources and a
bound in-memory vault, bad input as clear errors."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyrage import x25519
from typer.testing import CliRunner

from amparo import cases, scan
from amparo.cli import app
from amparo.runtime import Amparo
from casefactory import MemorySources

runner = CliRunner()


def _scan(amparo: Amparo) -> str:
    record = scan.ScanRecord(
        scan_id=scan.new_scan_id(),
        source="url",
        filename="https://example.test/a.png",
        hashes={"sha256": "ab" * 32},
        pdq_quality=None,
        matches=(),
        provenance=None,
        key_id=None,
    )
    with amparo.session() as s:
        scan.insert_scans(s, [record])
    return record.scan_id


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _run(*args: str, code: int = 0) -> str:
    r = runner.invoke(app, list(args), terminal_width=200)
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    return r.output


def test_cli_case_round_trip(env: Path, amparo: Amparo) -> None:
    scan_id = _scan(amparo)
    identity = x25519.Identity.generate()
    key_file = env / "key.txt"
    key_file.write_text(f"# created: test\n{identity}\n")
    _run("case", "create", "referral-9", "--description", "one scan")
    assert "1 item(s) added" in _run("case", "add", "referral-9", f"scan:{scan_id}")
    assert "already there" in _run("case", "add", "referral-9", scan_id)
    assert "no such item(s): sighting:5" in _run("case", "add", "referral-9", "5", code=2)
    assert "referral-9" in _run("case", "list")
    assert scan_id in _run("case", "show", "referral-9")
    out = env / "r9.tar"
    said = _run(
        "case", "export", "referral-9", "--recipient", str(identity.to_public()), "--out", str(out)
    )
    assert "wrote" in said and out.is_file()
    vkey = _run("ledger", "vkey").strip()
    ok = _run("case", "verify", str(out), "--vkey", vkey, "--identity", str(key_file))
    assert "OK:" in ok and "note:" not in ok
    assert "note: the log key was taken from the archive" in _run("case", "verify", str(out))
    r = runner.invoke(app, ["case", "verify", str(out), "--vkey", vkey, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    # Tampered: exit 3, the changed file named.
    bad = env / "bad.tar"
    with tarfile.open(out) as src, tarfile.open(bad, "w") as dst:
        for m in src:
            f = src.extractfile(m)
            assert f is not None
            data = f.read()
            if m.name.endswith("timeline.json"):
                data = data.replace(b"scanned", b"removed")
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    said = _run("case", "verify", str(bad), "--vkey", vkey, code=3)
    assert "timeline.json was changed" in said


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["export", "referral-9", "--recipient", "age1nope", "--out", "x.tar"],
            "'age1nope' is not an age recipient",
        ),
        (["export", "nobody", "--recipient", "age1nope", "--out", "x.tar"], "not an age recipient"),
        (["add", "referral-9", "video:1"], "'video:1' is not a case item"),
        (["show", "nobody"], "no case named 'nobody'"),
        (["verify", "missing.tar"], "no such file"),
        (["create", "bad\nname"], "without control characters"),
    ],
)
def test_cli_bad_input(env: Path, args: list[str], says: str) -> None:
    _run("case", "create", "referral-9")
    assert says in _run("case", *args, code=2)


def test_cli_verify_refuses_a_non_archive(env: Path) -> None:
    junk = env / "junk.tar"
    junk.write_bytes(b"x" * 1000)
    assert "not a case archive" in _run("case", "verify", str(junk), code=2)


def test_http_cases(
    client: TestClient,
    amparo: Amparo,
    headers: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    sources = MemorySources(amparo)
    cases.bind_sources(amparo, sources)
    inv = headers("investigator")
    r = client.post("/v1/cases", json={"name": "web-1", "description": "d"}, headers=inv)
    assert r.status_code == 201, r.text
    assert client.post("/v1/cases", json={"name": "web-1"}, headers=inv).status_code == 409
    r = client.post("/v1/cases/web-1/items", json={"items": ["1", "sighting:2"]}, headers=inv)
    assert r.status_code == 200 and r.json()["added"] == ["sighting:1", "sighting:2"]
    r = client.post("/v1/cases/web-1/items", json={"items": ["sighting:77"]}, headers=inv)
    assert r.status_code == 404 and "sighting:77" in r.json()["message"]
    assert client.get("/v1/cases", headers=inv).json()["cases"][0]["name"] == "web-1"
    assert client.get("/v1/cases/web-1", headers=inv).json()["items"] == [
        "sighting:1",
        "sighting:2",
    ]
    identity = x25519.Identity.generate()
    r = client.post(
        "/v1/cases/web-1/export", json={"recipient": str(identity.to_public())}, headers=inv
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-tar"
    archive = tmp_path / "web.tar"
    archive.write_bytes(r.content)
    report = cases.verify_archive(archive, identity=identity)
    assert report.ok, report.problems
    assert report.evidence_decrypted == 4
    bad = client.post("/v1/cases/web-1/export", json={"recipient": "age1x"}, headers=inv)
    assert bad.status_code == 400 and {"error", "message", "hint"} <= set(bad.json())
    assert client.get("/v1/cases", headers=headers("scanner")).status_code == 403
    admin = client.post(
        "/v1/cases/web-1/export",
        json={"recipient": str(identity.to_public())},
        headers=headers("admin"),
    )
    assert admin.status_code == 200
    reviewer = client.post(
        "/v1/cases/web-1/export",
        json={"recipient": str(identity.to_public())},
        headers=headers("reviewer"),
    )
    assert reviewer.status_code == 403
    assert client.get("/v1/cases/nobody", headers=inv).status_code == 404
    leftovers = list((amparo.settings.data_dir).glob("case-export-*"))
    assert leftovers == []
