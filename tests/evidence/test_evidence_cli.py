"""``amparo evidence list|show|hold|release|purge|export|keygen`` and their bad inputs."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyrage
import pytest
from typer.testing import CliRunner, Result

from amparo.cli import app
from amparo.config import Settings
from amparo.evidence import EvidenceItem
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow, utcnow

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Amparo]:
    """The CLI's settings, and a runtime on the same database and vault."""
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    runtime = Amparo.open(Settings(data_dir=tmp_path / "data", database_url=database_url))
    yield runtime
    runtime.close()


def _preserve(amparo: Amparo, data: bytes, *, days_ago: int = 0, days: int = 365) -> EvidenceItem:
    amparo.vault.clock = lambda: utcnow() - timedelta(days=days_ago)
    with amparo.session() as uow:
        return amparo.vault.preserve(
            uow, data, source="scan", media_type="image/png", retention_days=days
        )


def _ok(*args: str) -> Result:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r


def _fails(*args: str, says: str, code: int = 2) -> None:
    r = runner.invoke(app, list(args))
    assert r.exit_code == code and says in r.output, r.output
    assert "Traceback" not in r.output


def _ledger_kinds(amparo: Amparo) -> list[str]:
    with amparo.session() as s:
        return [r.kind for r in s.query(LedgerEntryRow).order_by(LedgerEntryRow.id)]


def test_list_show_hold_release_purge(env: Amparo) -> None:
    old = _preserve(env, b"old gradient", days_ago=10, days=5)
    new = _preserve(env, b"new gradient")
    rows = [json.loads(line) for line in _ok("evidence", "list", "--json").stdout.splitlines()]
    assert [r["item_id"] for r in rows] == [old.item_id, new.item_id]
    assert "data" not in rows[0] and rows[0]["sha256"] == old.sha256
    assert old.item_id in _ok("evidence", "list").stdout
    r = _ok("evidence", "hold", old.item_id, "--reason", "subpoena 77")
    assert "hold 1 placed" in r.stdout
    shown = json.loads(_ok("evidence", "show", old.item_id, "--json").stdout)
    assert shown["legal_hold"] and shown["holds"][0]["reason"] == "subpoena 77"
    assert "subpoena 77" in _ok("evidence", "show", old.item_id).stdout
    _fails("evidence", "purge", old.item_id, says="under legal hold")
    assert "purged 0 item(s)" in _ok("evidence", "purge").stdout
    _ok("evidence", "release", "1", "--reason", "case closed")
    _fails("evidence", "release", "1", "--reason", "again", says="already released")
    _fails("evidence", "purge", new.item_id, says="must be kept until")
    assert "purged 1 item(s)" in _ok("evidence", "purge").stdout
    held = _ok("evidence", "list", "--include-purged", "--json").stdout.splitlines()
    assert json.loads(held[0])["purged_at"] is not None
    kinds = _ledger_kinds(env)
    for kind in ("evidence.preserve", "evidence.list", "evidence.hold", "evidence.release"):
        assert kind in kinds
    assert kinds.count("evidence.purge") == 1


def test_export_writes_an_age_file_only(env: Amparo, tmp_path: Path) -> None:
    item = _preserve(env, b"benign shapes " * 10)
    identity = pyrage.x25519.Identity.generate()
    target = tmp_path / "case.age"
    r = _ok(
        "evidence",
        "export",
        item.item_id,
        "--recipient",
        str(identity.to_public()),
        "--reason",
        "case 114",
        "--out",
        str(target),
    )
    assert "age-encrypted" in r.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    archive = target.read_bytes()
    assert b"benign shapes" not in archive
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(archive, [identity]))) as tar:
        names = tar.getnames()
    assert names == ["manifest.json", f"items/{item.item_id}.png"]
    assert "evidence.export" in _ledger_kinds(env)
    base = ["evidence", "export", item.item_id, "--reason", "r", "--out"]
    _fails(*base, str(target), "--recipient", str(identity.to_public()), says="already exists")
    other = str(tmp_path / "other.age")
    _fails(*base, other, "--recipient", "age1nope", says="not a valid age recipient")
    _fails(*base, other, "--recipient", "someone@example.org", says="not an age recipient")
    _fails(
        "evidence",
        "export",
        item.item_id,
        "--recipient",
        str(identity.to_public()),
        "--reason",
        " ",
        "--out",
        other,
        says="an export needs a reason",
    )
    assert not Path(other).exists()


def test_bad_input(env: Amparo) -> None:
    _fails("evidence", "show", "nope", says="no evidence item")
    _fails("evidence", "hold", "nope", "--reason", "x", says="no evidence item")
    _fails("evidence", "release", "42", "--reason", "x", says="no legal hold 42")
    _fails("evidence", "hold", "x", says="Missing option '--reason'")
    _fails("evidence", "show", "a\x00b", says="NUL")


def test_keygen(tmp_path: Path) -> None:
    path = tmp_path / "kek" / "evidence.key"
    key_id = _ok("evidence", "keygen", "--out", str(path)).stdout.strip()
    assert key_id.startswith("local:") and stat.S_IMODE(path.stat().st_mode) == 0o600
    _fails("evidence", "keygen", "--out", str(path), says="never overwritten")
