"""Provenance settings: trust anchor files and the stamping credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.provenance import make_credentials
from amparo.runtime._build import provenance_options as options_from_settings
from amparo.runtime._build import signing_credentials


def test_trust_anchors_are_read(tmp_path: Path) -> None:
    root = make_credentials().root_pem
    (tmp_path / "root.pem").write_bytes(root)
    settings = Settings(data_dir=tmp_path, provenance_trust_anchors=[tmp_path / "root.pem"])
    assert options_from_settings(settings).trust_anchors == (root,)
    assert options_from_settings(Settings(data_dir=tmp_path)).trust_anchors == ()


def test_bad_trust_anchor_files_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    for path, message in (
        (tmp_path / "missing.pem", "cannot read"),
        (tmp_path / "junk.pem", "no PEM"),
    ):
        with pytest.raises(ConfigError, match=message):
            options_from_settings(Settings(data_dir=tmp_path, provenance_trust_anchors=[path]))


def test_signing_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not configured"):
        signing_credentials(Settings(data_dir=tmp_path))
    creds = make_credentials()
    (tmp_path / "c.pem").write_bytes(creds.chain_pem)
    (tmp_path / "k.pem").write_bytes(creds.key_pem)
    settings = Settings(
        data_dir=tmp_path,
        provenance_signing_cert=tmp_path / "c.pem",
        provenance_signing_key=tmp_path / "k.pem",
    )
    assert signing_credentials(settings) == (creds.chain_pem, creds.key_pem)
