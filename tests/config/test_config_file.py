"""The TOML config file: keys are setting names, the environment wins, mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amparo.cli import app
from amparo.config import CONFIG_ENV, Settings, load_settings
from amparo.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_file_values_are_used_and_the_environment_wins(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "amparo.toml",
        'data_dir = "/srv/amparo"\npdq_quality_threshold = 60\n'
        'ledger_witnesses = ["http://w.example k"]\nlog_format = "json"\n',
    )
    settings = load_settings(config, environ={})
    assert settings.data_dir == Path("/srv/amparo")
    assert settings.pdq_quality_threshold == 60
    assert settings.ledger_witnesses == ["http://w.example k"]
    assert settings.log_format == "json"


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write(tmp_path / "amparo.toml", "pdq_quality_threshold = 60\nurl_fetch_timeout = 3\n")
    monkeypatch.setenv("AMPARO_PDQ_QUALITY_THRESHOLD", "70")
    settings = load_settings(config)
    assert settings.pdq_quality_threshold == 70 and settings.url_fetch_timeout == 3


def test_amparo_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(tmp_path / "amparo.toml", "url_fetch_timeout = 4\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    assert load_settings().url_fetch_timeout == 4
    other = _write(tmp_path / "other.toml", "url_fetch_timeout = 5\n")
    assert load_settings(other).url_fetch_timeout == 5  # --config wins over AMPARO_CONFIG


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    config = _write(
        folder / "amparo.toml",
        'ledger_key_file = "ledger.key"\nprovenance_trust_anchors = ["roots/a.pem"]\n'
        'ledger_audit_dir = "/abs/audit"\n',
    )
    settings = load_settings(config, environ={})
    assert settings.ledger_key_file == folder / "ledger.key"
    assert settings.provenance_trust_anchors == [folder / "roots" / "a.pem"]
    assert settings.ledger_audit_dir == Path("/abs/audit")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('database = "x"\n', "unknown setting(s) 'database'"),
        ('AMPARO_DATA_DIR = "x"\n', "unknown setting(s) 'AMPARO_DATA_DIR'"),
        ('[amparo]\ndata_dir = "x"\n', "'amparo' is a table"),
        ("data_dir = \n", "is not valid TOML"),
        ("pdq_quality_threshold = 500\n", "amparo.toml: pdq_quality_threshold"),
        ('log_format = "xml"\n', "amparo.toml: log_format"),
    ],
)
def test_mistakes_in_the_file_are_named(tmp_path: Path, text: str, says: str) -> None:
    config = _write(tmp_path / "amparo.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    assert says in info.value.message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the config file .*nope\.toml"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_a_bad_environment_value_still_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMPARO_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="AMPARO_LOG_FORMAT"):
        load_settings()


def test_every_setting_can_come_from_the_file() -> None:
    # Keys are setting names, so every setting has one (the README documents both forms).
    assert all(name == name.lower() for name in Settings.model_fields)


def test_the_cli_reads_config_and_refuses_unknown_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AMPARO_DATA_DIR", raising=False)
    monkeypatch.delenv("AMPARO_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    config = _write(tmp_path / "amparo.toml", f'data_dir = "{data}"\n')
    runner = CliRunner()
    r = runner.invoke(app, ["--config", str(config), "bank", "create", "FROM_FILE"])
    assert r.exit_code == 0, r.output
    assert (data / "amparo.db").exists()
    r = runner.invoke(app, ["bank", "list", "--json"], env={CONFIG_ENV: str(config)})
    assert r.exit_code == 0 and "FROM_FILE" in r.stdout
    bad = _write(tmp_path / "bad.toml", "colour = 'blue'\n")
    r = runner.invoke(app, ["--config", str(bad), "bank", "list"])
    assert r.exit_code == 2 and "unknown setting(s) 'colour'" in r.output, r.output
    assert "Traceback" not in r.output
