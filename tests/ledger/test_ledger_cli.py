"""``amparo ledger`` and ``amparo witness`` commands, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from ledger_events import Note
from typer.testing import CliRunner

from amparo import ledger
from amparo.cli import _ledger, _witness
from amparo.cli._common import AmparoGroup
from amparo.config import Settings
from amparo.runtime import Amparo

runner = CliRunner()
cli = typer.Typer(cls=AmparoGroup)
cli.add_typer(_ledger.app, name="ledger")
cli.add_typer(_witness.app, name="witness")

ORIGIN = "cli.example/amparo"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", f"sqlite:///{tmp_path / 'amparo.db'}")
    monkeypatch.setenv("AMPARO_LEDGER_ORIGIN", ORIGIN)
    monkeypatch.setenv("AMPARO_LEDGER_KEY_FILE", str(tmp_path / "log.key"))
    return tmp_path


def _entry() -> int:
    amparo = Amparo.open(Settings())
    try:
        with amparo.session() as s:
            (entry,) = ledger.append(s, [Note(n=2)])
            return entry
    finally:
        amparo.close()


def test_keygen_prove_and_check_proof(env: Path) -> None:
    r = runner.invoke(cli, ["ledger", "keygen", ORIGIN, "--out", str(env / "log.key")])
    assert r.exit_code == 0, r.output
    vkey = r.stdout.strip()
    assert ledger.parse_vkey(vkey).name == ORIGIN
    assert (env / "log.key").stat().st_mode & 0o077 == 0
    again = runner.invoke(cli, ["ledger", "keygen", ORIGIN, "--out", str(env / "log.key")])
    assert again.exit_code == 2 and "already exists" in again.output

    entry = _entry()
    r = runner.invoke(cli, ["ledger", "prove", str(entry)])
    assert r.exit_code == 0, r.output
    proof = env / "entry.proof"
    proof.write_text(r.stdout)
    assert r.stdout.startswith("c2sp.org/tlog-proof@v1\nextra ")

    r = runner.invoke(cli, ["ledger", "check-proof", str(proof), "--vkey", vkey])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["data"] == {"n": 2, "text": ""}
    assert f"entry {entry} is at index" in r.stderr

    forged = r.stdout  # the record shown, not a proof: refused
    proof.write_text(forged)
    r = runner.invoke(cli, ["ledger", "check-proof", str(proof), "--vkey", vkey])
    assert r.exit_code == 3 and "not a proof file" in r.output

    assert runner.invoke(cli, ["ledger", "vkey"]).stdout.strip() == vkey
    r = runner.invoke(cli, ["ledger", "verify"])
    assert r.exit_code == 0 and "verified" in r.output
    r = runner.invoke(cli, ["ledger", "disclose", str(entry)])
    assert json.loads(r.stdout)["entry_id"] == entry
    r = runner.invoke(cli, ["ledger", "tallies"])
    assert r.exit_code == 0 and "0 scan(s) in all" in r.stderr
    assert json.loads(r.stdout.splitlines()[0])["kind"] == "scan.tally"


def test_wrong_vkey_and_usage_errors(env: Path) -> None:
    runner.invoke(cli, ["ledger", "keygen", ORIGIN, "--out", str(env / "log.key")])
    other = runner.invoke(cli, ["ledger", "keygen", ORIGIN, "--out", str(env / "o.key")])
    proof = env / "p.proof"
    proof.write_text(runner.invoke(cli, ["ledger", "prove", str(_entry())]).stdout)
    r = runner.invoke(cli, ["ledger", "check-proof", str(proof), "--vkey", other.stdout.strip()])
    assert r.exit_code == 3 and "no valid signature" in r.output
    r = runner.invoke(cli, ["ledger", "check-proof", str(proof), "--vkey", "nonsense"])
    assert r.exit_code == 2 and "bad verifier key" in r.output
    r = runner.invoke(cli, ["ledger", "verify", "--url", "http://127.0.0.1:9/ledger"])
    assert r.exit_code == 2 and "--url needs --vkey" in r.output


def test_witness_serve_refuses_a_log_key(env: Path) -> None:
    runner.invoke(cli, ["ledger", "keygen", ORIGIN, "--out", str(env / "log.key")])
    vkey = runner.invoke(cli, ["ledger", "vkey"]).stdout.strip()
    r = runner.invoke(cli, ["witness", "serve", "--key", str(env / "log.key"), "--log-vkey", vkey])
    assert r.exit_code == 2 and "not a witness key" in r.output
