"""Help says what each command does, with examples and without typer's placeholders; hints
name only commands and options that exist; one spelling per option, old ones hidden."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from amparo.cli import app
from amparo.cli._app import COMMANDS

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src" / "amparo"
ROOT: Any = get_command(app)


def _leaves() -> Iterator[list[str]]:
    ctx: Any = ROOT.make_context("amparo", ["--help"], resilient_parsing=True)
    for name in COMMANDS:
        command = ROOT.get_command(ctx, name)
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub in subcommands:
                yield [name, sub]
        else:
            yield [name]


LEAVES = list(_leaves())


def _help(args: list[str]) -> str:
    r = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("args", [[], *LEAVES], ids=lambda a: " ".join(a) or "amparo")
def test_help_has_examples_and_no_placeholders(args: list[str]) -> None:
    text = _help(args)
    assert "Examples:" in text and "  amparo " in text, f"give `amparo {' '.join(args)}` examples"
    for mark in ("<bool>", "<str>", "<int>", "<path>", "<list", "{", "}"):
        assert mark not in text, f"`amparo {' '.join(args)} --help` shows {mark!r}:\n{text}"
    assert "--install-completion" not in text
    assert not re.search(r"--no-(json|dihedral|skip|replace|quiet)", text)


@pytest.mark.parametrize("group", ["bank", "keys", "exchange", "ledger", "witness"])
def test_group_help_lists_commands_with_examples(group: str) -> None:
    text = _help([group])
    assert "Examples:" in text


def _resolve(words: list[str]) -> Any:
    command: Any = ROOT
    ctx: Any = ROOT.make_context("amparo", ["--help"], resilient_parsing=True)
    for word in words:
        if not hasattr(command, "get_command"):
            break
        found = command.get_command(ctx, word)
        assert found is not None, f"`amparo {' '.join(words)}` names no command {word!r}"
        command = found
    return command


def _hints() -> Iterator[str]:
    for path in sorted(SRC.rglob("*.py")):
        yield from re.findall(r"`amparo ([^`]*)`", path.read_text())


@pytest.mark.parametrize("hint", sorted(set(_hints())))
def test_hints_name_commands_and_options_that_exist(hint: str) -> None:
    words = hint.split()
    command_words = []
    for word in words:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        command_words.append(word)
    command = _resolve(command_words)
    options = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    options |= {"--help"}
    for word in words:
        if word.startswith("--"):
            assert word in options, f"`amparo {hint}`: {word} is not an option of that command"


def test_old_option_spellings_still_work_but_are_hidden() -> None:
    assert "--tags" not in _help(["bank", "add"]) and "--tag " in _help(["bank", "add"])
    verify = _help(["ledger", "verify"])
    assert "--state-dir" not in verify and "--state " in verify


def test_tables_never_cut_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AMPARO_DATABASE_URL", raising=False)
    sha = "ab" * 32
    assert runner.invoke(app, ["bank", "create", "WIDE"]).exit_code == 0
    r = runner.invoke(app, ["bank", "add", "WIDE", "--sha256", sha, "--note", "n " * 60])
    assert r.exit_code == 0, r.output
    for width in (40, 80):
        r = runner.invoke(app, ["bank", "entries", "WIDE"], terminal_width=width)
        assert r.exit_code == 0 and sha in r.stdout, r.stdout


def test_witness_serve_is_reached_as_the_readme_says(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["witness", "serve", "--key", str(tmp_path / "none.key"), "--log-vkey", "x"]
    )
    assert r.exit_code == 2 and "cannot read the key file" in r.output, r.output
