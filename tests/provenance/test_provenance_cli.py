"""``amparo provenance`` and ``amparo stamp`` commands, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from provenance_factories import Credentials, encode, make_credentials, photo_like
from typer.testing import CliRunner

from amparo.cli._common import AmparoGroup
from amparo.cli._provenance import provenance_command, stamp_command

PIXELS = photo_like(320, 256, seed=41)


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    """The two commands under the CLI's own error handling (as ``amparo.cli`` mounts them)."""
    app = typer.Typer(cls=AmparoGroup, pretty_exceptions_enable=False)
    app.command("provenance")(provenance_command)
    app.command("stamp")(stamp_command)
    return app


@pytest.fixture(scope="module")
def creds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Credentials, Path]:
    creds = make_credentials()
    folder = tmp_path_factory.mktemp("creds")
    for name, pem in (("chain", creds.chain_pem), ("key", creds.key_pem), ("root", creds.root_pem)):
        (folder / f"{name}.pem").write_bytes(pem)
    return creds, folder


def test_stamp_then_provenance(
    cli: typer.Typer, creds: tuple[Credentials, Path], tmp_path: Path
) -> None:
    _, folder = creds
    source, target = tmp_path / "in.png", tmp_path / "out.png"
    source.write_bytes(encode(PIXELS, "PNG"))
    runner = CliRunner()
    stamp_args = [
        "stamp", str(source), str(target), "--generator", "ExampleGen",
        "--cert", str(folder / "chain.pem"), "--key", str(folder / "key.pem"), "--watermark",
    ]  # fmt: skip
    result = runner.invoke(cli, stamp_args)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "provenance",
            str(target),
            str(source),
            "--json",
            "--trust-anchor",
            str(folder / "root.pem"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["verdict"] for line in lines] == ["declared_ai", "no_ai_signal"]
    human = runner.invoke(cli, ["provenance", str(target)])
    assert "declared_ai" in human.stdout and "untrusted" in human.stdout


def test_stamp_refuses_to_overwrite_and_bad_keys(
    cli: typer.Typer, creds: tuple[Credentials, Path], tmp_path: Path
) -> None:
    _, folder = creds
    source = tmp_path / "in.png"
    source.write_bytes(encode(PIXELS, "PNG"))
    runner = CliRunner()
    args = [
        "--generator",
        "G",
        "--cert",
        str(folder / "chain.pem"),
        "--key",
        str(folder / "key.pem"),
    ]
    result = runner.invoke(cli, ["stamp", str(source), str(source), *args])
    assert result.exit_code == 2 and "already exists" in result.output
    bad = [
        "--generator",
        "G",
        "--cert",
        str(folder / "chain.pem"),
        "--key",
        str(folder / "root.pem"),
    ]
    result = runner.invoke(cli, ["stamp", str(source), str(tmp_path / "o.png"), *bad])
    assert result.exit_code == 2


def test_provenance_missing_file_exits_2(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["provenance", str(tmp_path / "nope.png")])
    assert result.exit_code == 2
