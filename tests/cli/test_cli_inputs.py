"""The CLI checks every argument and option before a command runs (exit 2, a clear message),
as the HTTP API's gate does: storable text, 64-bit integers; imported files by their rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from amparo.cli import app
from amparo.cli._app import COMMANDS, LazyGroup
from amparo.cli._guard import check_parameter
from amparo.errors import InputError

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AMPARO_DATABASE_URL", database_url)
    return tmp_path


def _leaves(command: object) -> list[object]:
    subs = list(getattr(command, "commands", {}).values())
    return [command] if not subs else [leaf for sub in subs for leaf in _leaves(sub)]


def test_every_command_is_guarded() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    ctx = typer.Context(group)
    leaves = [leaf for name in COMMANDS for leaf in _leaves(group.get_command(ctx, name))]
    assert len(leaves) > 25
    unguarded = [
        getattr(leaf, "name", "?")
        for leaf in leaves
        if not getattr(getattr(leaf, "callback", None), "__amparo_guarded__", False)
    ]
    assert not unguarded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bank", "create", "A\x00B"], "NAME contains a NUL character"),
        (["bank", "create", "AB\udcff"], "NAME contains a lone surrogate (\\udcff)"),
        (["bank", "disable", "SOME_BANK", str(2**64)], "ENTRY_ID is 18446744073709551616"),
        (["bank", "delete", "SOME_BANK", "--", str(-(2**63) - 1)], "outside the 64-bit range"),
        (
            ["bank", "add", "SOME_BANK", "--md5", "0" * 32, "--note", "a\ud800"],
            "--note contains a lone surrogate",
        ),
        (["hash", "bad\udcffname.jpg"], "the path 'bad\\udcffname.jpg' contains a lone surrogate"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(env: Path, args: list[str], message: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_an_import_with_a_field_over_the_csv_limit_names_the_row(env: Path) -> None:
    assert runner.invoke(app, ["bank", "create", "IMPORTED"]).exit_code == 0
    csv = env / "list.csv"
    csv.write_text(f"md5,note\n{'1' * 32},{'x' * 140_000}\n{'2' * 32},fine\n")
    r = runner.invoke(app, ["bank", "import", "IMPORTED", str(csv)])
    assert r.exit_code == 2 and "row 2: not readable as CSV" in r.output, r.output
    r = runner.invoke(app, ["bank", "import", "IMPORTED", str(csv), "--skip-bad-rows"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("first", [True, False])
def test_an_import_of_a_file_that_is_not_utf8_says_so(env: Path, first: bool) -> None:
    assert runner.invoke(app, ["bank", "create", "IMPORTED"]).exit_code == 0
    data = b"\xff\xfe\xc0 binary" if first else f"md5\n{'1' * 32}\n".encode() + b"\xc0\xff\n"
    (env / "list.csv").write_bytes(data)
    r = runner.invoke(app, ["bank", "import", "IMPORTED", str(env / "list.csv")])
    line = 1 if first else 3
    assert r.exit_code == 2 and f"list.csv: line {line}: not UTF-8 text" in r.output, r.output
    assert "Traceback" not in r.output


def test_a_deeply_nested_json_line_is_a_bad_row(env: Path) -> None:
    assert runner.invoke(app, ["bank", "create", "IMPORTED"]).exit_code == 0
    jsonl = env / "list.jsonl"
    jsonl.write_text('{"md5": "' + "3" * 32 + '", "x": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
    r = runner.invoke(app, ["bank", "import", "IMPORTED", str(jsonl)])
    assert r.exit_code == 2 and "row 1: row is nested more than 32 levels" in r.output


def test_a_json_line_giving_a_name_twice_is_a_bad_row(env: Path) -> None:
    assert runner.invoke(app, ["bank", "create", "IMPORTED"]).exit_code == 0
    jsonl = env / "list.jsonl"
    jsonl.write_text(
        '{"md5": "' + "4" * 32 + '"}\n{"md5": "' + "5" * 32 + '", "md5": "' + "6" * 32 + '"}\n'
    )
    r = runner.invoke(app, ["bank", "import", "IMPORTED", str(jsonl)])
    assert r.exit_code == 2 and "row 2: row gives the name 'md5' more than once" in r.output


@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=8) | st.integers())
def test_a_parameter_is_refused_exactly_when_it_breaks_a_rule(value: str | int) -> None:
    if isinstance(value, int):
        bad = not -(2**63) <= value < 2**63
    else:
        bad = "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    try:
        check_parameter("--x", value)
    except InputError:
        assert bad
    else:
        assert not bad
