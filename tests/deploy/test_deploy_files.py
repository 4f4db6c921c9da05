"""The Dockerfile and compose.yaml, checked as far as a machine without docker can: they
parse, every AMPARO_* setting they name exists, the image runs as a non-root user from the
built wheel, and every command they run is a real `amparo` command with real options."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer import TyperException
from typer.main import get_command

from amparo.cli import app
from amparo.config import CONFIG_ENV, Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {f"AMPARO_{name.upper()}" for name in Settings.model_fields} | {CONFIG_ENV}


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def _check_amparo_command(argv: list[str]) -> None:
    """Parse ``amparo ARGV`` as the CLI would (commands, options, arguments), without
    running it: a wrong command or option raises click's usage error."""
    command: Any = get_command(app)
    ctx: Any = command.make_context("amparo", [], resilient_parsing=True)
    name, words = "amparo", list(argv)
    while hasattr(command, "get_command"):
        assert words, f"amparo {' '.join(argv)}: names a group, not a command"
        name, words = words[0], words[1:]
        sub = command.get_command(ctx, name)
        assert sub is not None, f"amparo {' '.join(argv)}: no command {name!r}"
        command = sub
        if hasattr(command, "get_command"):
            ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    command.make_context(name, words, parent=ctx)


def test_dockerfile_builds_the_wheel_and_runs_as_a_non_root_user() -> None:
    steps = _instructions()
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    runs = " ".join(args for word, args in steps if word == "RUN")
    assert "pip wheel" in runs and "pip install --no-cache-dir /tmp/dist/amparo-*.whl" in runs
    assert any(w == "COPY" and a.startswith("--from=build /dist/") for w, a in steps)
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert f"--uid {10001}" in runs and users[-1] == "amparo"


def test_the_image_runs_a_real_amparo_command() -> None:
    steps = dict((w, a) for w, a in _instructions() if w in ("ENTRYPOINT", "CMD"))
    assert _exec_form(steps["ENTRYPOINT"]) == ["amparo"]
    cmd = _exec_form(steps["CMD"])
    assert cmd[:3] == ["serve", "--host", "0.0.0.0"]
    _check_amparo_command(cmd)


def test_every_setting_named_exists() -> None:
    named = set(re.findall(r"\bAMPARO_[A-Z_]+", (ROOT / "Dockerfile").read_text()))
    for service in _compose()["services"].values():
        named |= set(service.get("environment", {}))
        named |= set(re.findall(r"\bAMPARO_[A-Z_]+", json.dumps(service.get("command", []))))
    named = {n for n in named if n.startswith("AMPARO_")}
    assert named and named <= SETTINGS, f"not settings: {sorted(named - SETTINGS)}"


def test_compose_runs_amparo_postgres_and_a_witness() -> None:
    services = _compose()["services"]
    assert set(services) == {"amparo", "postgres", "witness"}
    assert services["postgres"]["image"].startswith("postgres:")
    url = services["amparo"]["environment"]["AMPARO_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    witnesses = services["amparo"]["environment"]["AMPARO_LEDGER_WITNESSES"]
    assert json.loads(witnesses)[0].startswith("http://witness:8090 ")
    assert services["witness"]["command"][:2] == ["witness", "serve"]


@pytest.mark.parametrize("service", ["amparo", "witness"])
def test_compose_commands_are_real_amparo_commands(service: str) -> None:
    command = _compose()["services"][service]["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(c) for c in command]
    _check_amparo_command(argv)


@pytest.mark.parametrize(
    "argv",
    [["serve", "--hots", "0.0.0.0"], ["witness"], ["witness", "cosign"], ["sevre"]],
)
def test_the_check_catches_wrong_commands_and_options(argv: list[str]) -> None:
    with pytest.raises((AssertionError, TyperException)):
        _check_amparo_command(argv)
