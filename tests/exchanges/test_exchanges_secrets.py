from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from amparo import banks
from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.exchanges._config import create_exchange, get_exchange, update_exchange
from amparo.exchanges._fetch import fetch_exchange
from amparo.exchanges._secrets import SECRET_KEY_FILE, CredentialBox
from amparo.runtime import Amparo
from amparo.runtime._build import credential_box
from amparo.store import ExchangeRow

PASSWORD = "correct-horse-battery-staple"


def _raw_credentials(amparo: Amparo, name: str) -> bytes:
    with amparo.session() as s:
        raw = s.scalar(select(ExchangeRow.credentials).where(ExchangeRow.name == name))
    assert raw is not None
    return raw


def _add_ncmec(amparo: Amparo, box: CredentialBox) -> None:
    with amparo.session() as s:
        banks.create_bank(s, "NCMEC")
        create_exchange(
            s,
            "ncmec",
            api="ncmec",
            bank="NCMEC",
            config={"environment": "test_Industry"},
            credentials=f"someone:{PASSWORD}",
            box=box,
        )


def test_credentials_are_stored_encrypted(amparo: Amparo) -> None:
    box = amparo.credential_box()
    _add_ncmec(amparo, box)
    raw = _raw_credentials(amparo, "ncmec")
    assert PASSWORD.encode() not in raw and b"someone" not in raw
    assert box.decrypt(raw, exchange="ncmec") == {"user": "someone", "password": PASSWORD}
    with amparo.session() as s:
        shown = get_exchange(s, "ncmec").to_dict()
    assert shown["has_credentials"] is True and PASSWORD not in str(shown)


def test_dev_key_file_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    box = credential_box(settings)
    key_file = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt({"a": "b"})
    assert credential_box(settings).decrypt(token, exchange="x") == {"a": "b"}


def test_prod_without_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AMPARO_SECRET_KEY is not set"):
        credential_box(Settings(env="prod", data_dir=tmp_path))
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_invalid_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        credential_box(Settings(data_dir=tmp_path, secret_key="hunter2"))


def test_wrong_key_gives_a_clear_error_and_is_recorded(amparo: Amparo) -> None:
    _add_ncmec(amparo, CredentialBox([Fernet.generate_key()]))
    other = CredentialBox([Fernet.generate_key()])
    with pytest.raises(ConfigError, match="cannot be decrypted with the current secret key"):
        fetch_exchange(amparo.session, "ncmec", box=other)
    with amparo.session() as s:
        ex = get_exchange(s, "ncmec")
    assert "cannot be decrypted" in (ex.last_fetch_error or "") and not ex.fetching


def test_rotation_decrypts_with_old_key_and_reencrypts_with_new(amparo: Amparo) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    _add_ncmec(amparo, CredentialBox([old]))
    both = credential_box(
        amparo.settings.model_copy(update={"secret_key": f"{new.decode()},{old.decode()}"})
    )
    assert both.decrypt(CredentialBox([old]).encrypt({"a": "b"}), exchange="x") == {"a": "b"}
    with amparo.session() as s:  # replacing credentials encrypts with the first key
        update_exchange(s, "ncmec", credentials={"user": "u2", "password": PASSWORD}, box=both)
    assert CredentialBox([new]).decrypt(_raw_credentials(amparo, "ncmec"), exchange="n") == {
        "user": "u2",
        "password": PASSWORD,
    }
