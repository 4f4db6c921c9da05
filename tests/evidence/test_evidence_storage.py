"""Storage on fsspec: its memory filesystem, and S3 against moto's server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vaultkit import principal

from amparo.errors import ConfigError
from amparo.evidence import (
    EvidenceIntegrityError,
    EvidenceKeyError,
    FsspecBlobStore,
    LocalBlobStore,
    LocalKeyFile,
    Vault,
    open_store,
)
from amparo.runtime import Amparo

REVIEWER = principal("reviewer")


def _round_trip(amparo: Amparo, vault: Vault) -> str:
    with amparo.session() as uow:
        item = vault.preserve(uow, b"benign noise" * 100, source="scan", media_type="image/png")
    with amparo.session() as uow:
        assert (
            vault.read(uow, item.item_id, principal=REVIEWER, reason="r") == b"benign noise" * 100
        )
    return item.item_id


def test_open_store_chooses_by_location(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path), LocalBlobStore)
    assert isinstance(open_store(str(tmp_path)), LocalBlobStore)
    assert isinstance(open_store(f"file://{tmp_path}"), LocalBlobStore)
    assert isinstance(open_store("memory://vault-a"), FsspecBlobStore)
    with pytest.raises(ConfigError, match="cannot use the evidence storage"):
        open_store("nosuchscheme://bucket/x")


def test_memory_filesystem(amparo: Amparo, tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    if fs.exists("/amparo-test-vault"):  # the memory filesystem lives as long as the process
        fs.rm("/amparo-test-vault", recursive=True)
    store = open_store("memory://amparo-test-vault")
    vault = Vault(store, LocalKeyFile(tmp_path / "k", create=True))
    item_id = _round_trip(amparo, vault)
    (path,) = [p for p in fs.find("/amparo-test-vault") if p.endswith(f"{item_id}.bin")]
    blob = bytearray(fs.cat_file(path))
    blob[3] ^= 1
    fs.pipe_file(path, bytes(blob))
    with pytest.raises(EvidenceIntegrityError), amparo.session() as uow:
        vault.read(uow, item_id, principal=REVIEWER, reason="r")
    with amparo.session() as uow:
        vault.purge(uow, now=vault.clock().replace(year=2100))
    assert not fs.exists(path)
    if fs.exists("/amparo-test-vault"):
        fs.rm("/amparo-test-vault", recursive=True)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, with one bucket."""
    moto_server = pytest.importorskip("moto.server")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket="evidence")
    yield endpoint
    server.stop()


def test_s3_against_moto(amparo: Amparo, s3_endpoint: str, tmp_path: Path) -> None:
    options = {
        "key": "test",
        "secret": "test",
        "client_kwargs": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
        "skip_instance_cache": True,
    }
    store = open_store("s3://evidence/amparo", options)
    assert isinstance(store, FsspecBlobStore)
    vault = Vault(store, LocalKeyFile(tmp_path / "k", create=True))
    item_id = _round_trip(amparo, vault)
    name = f"{item_id[-2:]}/{item_id}.bin"
    blob = store.get(name)
    assert blob is not None and b"benign noise" not in blob
    with amparo.session() as uow:
        vault.purge(uow, now=vault.clock().replace(year=2100))
    assert store.get(name) is None


def test_settings_choose_an_fsspec_storage(tmp_path: Path, database_url: str) -> None:
    from amparo.config import Settings

    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        evidence_storage="memory://amparo-settings-vault",
        evidence_key_file=tmp_path / "missing.key",
    )
    runtime = Amparo.open(settings)
    try:
        assert isinstance(runtime.vault.store, FsspecBlobStore)
        assert runtime.vault.store.location == "memory://amparo-settings-vault"
        # An explicit key file is never generated: its absence is named at first use.
        with (
            pytest.raises(EvidenceKeyError, match=r"missing\.key does not exist"),
            runtime.session() as uow,
        ):
            runtime.vault.preserve(uow, b"x", source="scan")
    finally:
        runtime.close()
