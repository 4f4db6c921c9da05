"""Building the ledger from settings, and the public surface of ``amparo.ledger``."""

from __future__ import annotations

from pathlib import Path

import pytest

from amparo import ledger
from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.ledger._note import ALG_COSIGNATURE_V1
from amparo.runtime._build import ledger_from_settings
from amparo.store import create_engine_for


def test_public_api_is_complete() -> None:
    assert len(set(ledger.__all__)) == len(ledger.__all__)
    for name in ledger.__all__:
        assert getattr(ledger, name) is not None


def test_dev_generates_a_key_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}")
    engine = create_engine_for(settings.resolved_database_url)
    first = ledger_from_settings(settings, engine)
    again = ledger_from_settings(settings, engine)
    assert first.verifier == again.verifier
    assert first.origin == "amparo.localhost/ledger"
    engine.dispose()


def test_prod_and_mismatched_keys_are_refused(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'a.db'}")
    prod = Settings(env="prod", data_dir=tmp_path, secret_key="x")
    with pytest.raises(ConfigError, match="AMPARO_LEDGER_ORIGIN"):
        ledger_from_settings(prod, engine)
    with pytest.raises(ConfigError, match="does not exist"):
        ledger_from_settings(prod.model_copy(update={"ledger_origin": "a.test/l"}), engine)
    ledger.write_signer(tmp_path / "k", ledger.generate_signer("other.test/l"))
    mismatched = Settings(
        data_dir=tmp_path, ledger_origin="a.test/l", ledger_key_file=tmp_path / "k"
    )
    with pytest.raises(ConfigError, match="not the ledger origin"):
        ledger_from_settings(mismatched, engine)
    witness = ledger.generate_signer("w.test/1", ALG_COSIGNATURE_V1).verifier.vkey
    ok = Settings(data_dir=tmp_path, ledger_origin="other.test/l", ledger_key_file=tmp_path / "k")
    built = ledger_from_settings(
        ok.model_copy(update={"ledger_witnesses": [f"https://w.test {witness}"]}), engine
    )
    assert built.quorum == 1
    bad = ok.model_copy(update={"ledger_witnesses": ["https://w.test nonsense"]})
    with pytest.raises(ConfigError, match="witness"):
        ledger_from_settings(bad, engine)
    engine.dispose()
