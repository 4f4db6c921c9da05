"""Expected failures are one line and a hint with exit 2; unexpected ones a short message, a
log file and exit 4; nothing prints a traceback; match's exit 1 means a match, always."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo import banks, ledger
from amparo.cli import app
from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.media import synthetic
from amparo.runtime import Runtime

runner = CliRunner()
PG = "127.0.0.1:5432"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AMPARO_DATABASE_URL", raising=False)
    monkeypatch.delenv("AMPARO_CONFIG", raising=False)
    return tmp_path / "data"


def _expected_failure(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("error: ") and lines[-1].strip().startswith("hint: "), r.output
    return r.output


@pytest.mark.postgres
def test_a_missing_postgres_database_is_one_line_without_the_password(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AMPARO_DATABASE_URL", f"postgresql+psycopg://postgres:s3cret@{PG}/no_such_db"
    )
    output = _expected_failure(["bank", "list"])
    assert "cannot connect to the database" in output and "no_such_db" in output
    assert "does not exist" in output and "s3cret" not in output and "***" in output
    assert len(output.strip().splitlines()) == 2


def test_a_wrong_port_is_a_config_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPARO_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/amparo")
    output = _expected_failure(["bank", "list"])
    assert "cannot connect to the database" in output and "port 9" in output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("foo://somewhere/db", "cannot use the database URL"),
        ("not a url", "cannot use the database URL"),
        ("mysql://u:pw@host/db", "No module named"),
    ],
)
def test_a_url_that_cannot_work_is_a_config_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("AMPARO_DATABASE_URL", url)
    output = _expected_failure(["bank", "list"])
    assert says in output and ":pw@" not in output


def test_runtime_open_raises_config_error_naming_the_url(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url="postgresql+psycopg://me:pw@127.0.0.1:9/amparo"
    )
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1:9/amparo") as info:
        Runtime.open(settings)
    assert "pw" not in info.value.message and "AMPARO_DATABASE_URL" in (info.value.hint or "")


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_scheme_is_read_as_psycopg_with_a_note(
    pg_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("AMPARO_DATABASE_URL", pg_url.replace("postgresql+psycopg", scheme))
    r = runner.invoke(app, ["bank", "list", "--json"])
    assert r.exit_code == 0, r.output
    assert f"read {scheme}:// as postgresql+psycopg://" in r.stderr


def test_an_unexpected_error_exits_4_with_a_log_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(banks, "list_banks", broken)
    r = runner.invoke(app, ["bank", "list"])
    assert r.exit_code == 4, r.output
    assert "Traceback" not in r.output
    assert "unexpected RuntimeError: the disk caught fire" in r.output
    (log,) = (data_dir / "logs").glob("crash-*.log")
    assert str(log) in r.output
    text = log.read_text()
    assert "Traceback" in text and "the disk caught fire" in text and "amparo bank list" in text


def test_with_settings_that_cannot_load_the_crash_log_goes_to_the_default_data_dir(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ledger, "generate_signer", broken)
    monkeypatch.setenv("AMPARO_PDQ_QUALITY_THRESHOLD", "150")  # keygen needs no settings
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *a, **k: str(tmp_path / "default"))
    r = runner.invoke(app, ["ledger", "keygen", "example.org/log", "--out", str(tmp_path / "k")])
    assert r.exit_code == 4, r.output
    (log,) = (tmp_path / "default" / "logs").glob("crash-*.log")
    assert "boom" in log.read_text()


def test_a_declined_confirmation_is_not_exit_1(data_dir: Path) -> None:
    r = runner.invoke(app, ["exchange", "delete", "nope"], input="n\n")
    assert r.exit_code == 2 and "aborted: nothing was changed" in r.output


def test_a_question_without_input_is_a_clear_error(data_dir: Path) -> None:
    r = runner.invoke(app, ["exchange", "delete", "nope"], input="")
    assert r.exit_code == 2, r.output


def test_error_text_is_not_hard_wrapped_in_a_pipe(data_dir: Path) -> None:
    long_name = "A" * 150
    output = _expected_failure(["bank", "add", long_name, "--md5", "0" * 32])
    assert f"no bank named '{long_name}'" in output.splitlines()[0]


def test_reimporting_a_file_exits_0_both_times(data_dir: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text("md5,source_id\n" + "".join(f"{i:032x},id{i}\n" for i in range(5)))
    assert runner.invoke(app, ["bank", "create", "AGAIN"]).exit_code == 0
    first = runner.invoke(app, ["bank", "import", "AGAIN", str(listing)])
    again = runner.invoke(app, ["bank", "import", "AGAIN", str(listing)])
    assert first.exit_code == 0 and "5 added" in first.stdout, first.output
    assert again.exit_code == 0 and "0 added, 0 updated, 5 unchanged" in again.stdout, again.output


def _jpeg(path: Path, seed: int) -> Path:
    path.write_bytes(synthetic.encode(synthetic.make("photo_like", 640, 480, seed=seed), "JPEG"))
    return path


def test_match_exits_1_when_anything_matched_even_if_another_file_failed(
    data_dir: Path, tmp_path: Path
) -> None:
    known = _jpeg(tmp_path / "known.jpg", 2)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")  # empty: refused (an undecodable file is still matched by digests)
    assert runner.invoke(app, ["bank", "create", "KNOWN"]).exit_code == 0
    assert runner.invoke(app, ["bank", "add", "KNOWN", "--file", str(known)]).exit_code == 0
    r = runner.invoke(app, ["match", "--json", str(broken), str(known)])
    assert r.exit_code == 1, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows[0]["path"] == str(broken) and "error" in rows[0]
    assert rows[1]["matched"] is True
    r = runner.invoke(app, ["match", str(broken), str(_jpeg(tmp_path / "other.jpg", 9))])
    assert r.exit_code == 2, r.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["serve", "--hots", "0.0.0.0"], "No such option: --hots"),
        (["nonsense"], "No such command 'nonsense'"),
        (["bank", "create"], "Missing argument 'NAME'"),
    ],
)
def test_usage_errors_are_an_error_line_and_a_hint(
    data_dir: Path, args: list[str], says: str
) -> None:
    r = runner.invoke(app, args, terminal_width=40)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("error: ") and says in lines[0], r.output
    assert lines[1].strip().startswith("hint: see `amparo") and len(lines) == 2


def test_serve_log_level_reaches_amparo_loggers() -> None:
    """`serve --log-level warning` quiets Amparo's one-line-per-request log too, not only
    uvicorn's; an unknown level is refused before anything starts."""
    from amparo.cli._logging import uvicorn_log_config

    loggers = uvicorn_log_config("text", "warning")["loggers"]
    assert loggers["amparo"]["level"] == loggers["uvicorn"]["level"] == "WARNING"
    assert uvicorn_log_config("json")["loggers"]["amparo"]["level"] == "INFO"
    result = CliRunner().invoke(app, ["serve", "--log-level", "loud"])
    assert result.exit_code == 2
    assert "'loud' is not one of" in result.output
