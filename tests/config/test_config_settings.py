"""Settings fail closed outside dev."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.runtime import Amparo


def test_prod_refuses_a_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AMPARO_SECRET_KEY") as info:
        Amparo.open(Settings(env="prod", data_dir=tmp_path))
    assert "amparo keys secret" in (info.value.hint or "")


def test_prod_refuses_unsafe_private_urls(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsafe_allow_private_urls"):
        Settings(
            env="prod", data_dir=tmp_path, secret_key="x", unsafe_allow_private_urls=True
        ).check()


def test_environment_is_read_late(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMPARO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AMPARO_MEDIA_MAX_BYTES", "1234")
    settings = Settings()
    assert settings.media.max_bytes == 1234
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'amparo.db'}"


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPARO_PDQ_QUALITY_THRESHOLD", "150")
    with pytest.raises(ValueError, match="pdq_quality_threshold"):
        Settings()


def test_cli_reports_a_bad_setting_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from amparo.cli import app

    monkeypatch.setenv("AMPARO_PDQ_QUALITY_THRESHOLD", "150")
    result = CliRunner().invoke(app, ["bank", "list"])
    assert result.exit_code == 2
    assert "AMPARO_PDQ_QUALITY_THRESHOLD" in result.output
