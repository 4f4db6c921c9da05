"""``amparo policy check|test|activate|show`` and ``amparo scan --meta``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import app
from amparo.media import synthetic

runner = CliRunner()

CHAT = """name = "chat"

[[rules]]
name = "chat uploads"
[rules.when]
surface = "chat"
[rules.then]
quarantine = true

[[rules]]
name = "default"
[rules.then]
allow = true
"""


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _image(path: Path, seed: int) -> Path:
    path.write_bytes(synthetic.encode(synthetic.make("photo_like", 320, 240, seed=seed), "JPEG"))
    return path


def test_check_a_good_policy(tmp_path: Path) -> None:
    r = runner.invoke(app, ["policy", "check", str(_file(tmp_path / "p.toml", CHAT))])
    assert r.exit_code == 0, r.output
    assert "ok: 2 rule(s), default rule 'default' (line 10)" in r.stdout


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[[rules]]\nname = "a"\nwhen.matched = true\nthen.blok = true\n', "line 4: rule 'a': "
         "unknown action 'blok'"),
        ('[[rules]]\nname = "a"\nwhen.matched = true\nthen.block = true\n', "line 1: no default"),
        ('[[rules]]\nname = "a"\nwhen.bank = []\nthen.block = true\n', "line 3: rule 'a' can "
         "never fire"),
        ("[[rules]\n", "line 1: not valid TOML"),
    ],
)  # fmt: skip
def test_check_a_bad_policy_names_the_line(tmp_path: Path, text: str, words: str) -> None:
    r = runner.invoke(app, ["policy", "check", str(_file(tmp_path / "p.toml", text))])
    assert r.exit_code == 2
    assert words in r.stderr and "hint:" in r.stderr and "Traceback" not in r.output


def test_check_refuses_what_is_not_a_policy_file(tmp_path: Path) -> None:
    r = runner.invoke(app, ["policy", "check", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2 and "no such file" in r.stderr
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    r = runner.invoke(app, ["policy", "check", str(latin)])
    assert r.exit_code == 2 and "line 1: not UTF-8 text" in r.stderr


def test_test_activate_and_scan_with_metadata(env: Path) -> None:
    policy = _file(env / "p.toml", CHAT)
    image = _image(env / "a.jpg", 1)
    r = runner.invoke(app, ["policy", "test", str(policy), "--scan", str(image)])
    assert r.exit_code == 0, r.output
    assert "rule 'default' (line 10) fired" in r.stdout
    r = runner.invoke(
        app, ["policy", "test", str(policy), "--scan", str(image), "--meta", "surface=chat"]
    )
    assert "rule 'chat uploads' (line 3) fired: surface is 'chat'" in r.stdout
    assert "actions: quarantine" in r.stdout
    # Nothing was activated or recorded by testing.
    show = json.loads(runner.invoke(app, ["policy", "show", "--json"]).stdout)
    assert show["builtin"] is True
    r = runner.invoke(app, ["policy", "activate", str(policy)])
    assert r.exit_code == 0, r.output
    assert "policy 'chat' version 1 is active" in r.stderr
    r = runner.invoke(app, ["scan", "--json", str(image), "--meta", "surface=chat"])
    assert r.exit_code == 0, r.output
    scanned = json.loads(r.stdout)
    assert scanned["decision"]["rule"] == "chat uploads"
    assert scanned["decision"]["policy"]["version"] == 1
    # The stored scan, tested against another policy, keeps the metadata it was scanned with.
    r = runner.invoke(app, ["policy", "test", str(policy), "--scan", scanned["scan_id"], "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["decision"]["rule"] == "chat uploads"
    show = runner.invoke(app, ["policy", "show"])
    assert show.stdout == CHAT and "version 1" in show.stderr


def test_scan_table_shows_the_decision(env: Path) -> None:
    image = _image(env / "a.jpg", 2)
    r = runner.invoke(app, ["scan", str(image)])
    assert r.exit_code == 0 and "allow" in r.stdout


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        ("surface", "--meta 'surface' is not KEY=VALUE"),
        ("colour=red", "unknown content metadata 'colour'"),
        ("country=Germany", "not an ISO 3166-1 alpha-2 code"),
    ],
)
def test_bad_meta_is_refused(env: Path, meta: str, words: str) -> None:
    image = _image(env / "a.jpg", 3)
    r = runner.invoke(app, ["scan", str(image), "--meta", meta])
    assert r.exit_code == 2 and words in r.stderr, r.output


def test_test_against_an_unknown_scan(env: Path) -> None:
    policy = _file(env / "p.toml", CHAT)
    r = runner.invoke(app, ["policy", "test", str(policy), "--scan", "no-such-scan"])
    assert r.exit_code == 2 and "no scan with id 'no-such-scan'" in r.stderr
    r = runner.invoke(
        app, ["policy", "test", str(policy), "--scan", "no-such-scan", "--meta", "surface=x"]
    )
    assert r.exit_code == 2 and "--meta goes with a media file" in r.stderr


def test_activate_refuses_a_bad_policy(env: Path) -> None:
    bad = _file(env / "bad.toml", '[[rules]]\nname = "a"\nwhen.matched = true\nthen.block = 1\n')
    r = runner.invoke(app, ["policy", "activate", str(bad)])
    assert r.exit_code == 2 and "line 4" in r.stderr
    assert json.loads(runner.invoke(app, ["policy", "show", "--json"]).stdout)["builtin"]
