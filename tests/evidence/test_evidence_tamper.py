"""Fail closed: a changed or swapped blob, an edited row, a wrong or lost key-encryption
key — each is a clear error, and nothing decrypts wrongly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from vaultkit import principal

from amparo.errors import NotFoundError
from amparo.evidence import (
    EvidenceIntegrityError,
    EvidenceKeyError,
    LocalBlobStore,
    LocalKeyFile,
    Vault,
    write_key_file,
)
from amparo.runtime import Amparo
from amparo.store import EvidenceItemRow

REVIEWER = principal("reviewer")


def _preserve(amparo: Amparo, vault: Vault, data: bytes) -> str:
    with amparo.session() as uow:
        return vault.preserve(uow, data, source="scan").item_id


def _read(amparo: Amparo, vault: Vault, item_id: str) -> bytes:
    with amparo.session() as uow:
        return vault.read(uow, item_id, principal=REVIEWER, reason="check")


def _blob(vault_dir: Path, item_id: str) -> Path:
    (path,) = vault_dir.rglob(f"{item_id}.bin")
    return path


def test_a_flipped_byte_fails(amparo: Amparo, vault: Vault, vault_dir: Path) -> None:
    item_id = _preserve(amparo, vault, b"benign synthetic noise " * 40)
    for offset in (0, 100, -1):  # start, middle, the GCM tag
        path = _blob(vault_dir, item_id)
        blob = bytearray(path.read_bytes())
        blob[offset] ^= 0x01
        path.write_bytes(bytes(blob))
        with pytest.raises(EvidenceIntegrityError, match="failed its authentication check") as info:
            _read(amparo, vault, item_id)
        assert item_id in info.value.message and "nothing was decrypted" in info.value.message
        blob[offset] ^= 0x01
        path.write_bytes(bytes(blob))
    assert _read(amparo, vault, item_id) == b"benign synthetic noise " * 40


def test_swapped_blobs_fail(amparo: Amparo, vault: Vault, vault_dir: Path) -> None:
    a = _preserve(amparo, vault, b"A" * 300)
    b = _preserve(amparo, vault, b"B" * 300)
    pa, pb = _blob(vault_dir, a), _blob(vault_dir, b)
    blob_a, blob_b = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(blob_b)
    pb.write_bytes(blob_a)
    for item_id in (a, b):
        with pytest.raises(EvidenceIntegrityError, match="swapped with another item"):
            _read(amparo, vault, item_id)


def test_swapped_rows_and_edited_facts_fail(amparo: Amparo, vault: Vault) -> None:
    a = _preserve(amparo, vault, b"A" * 300)
    b = _preserve(amparo, vault, b"B" * 300)
    with amparo.session() as uow:
        row_a, row_b = uow.get(EvidenceItemRow, a), uow.get(EvidenceItemRow, b)
        assert row_a is not None and row_b is not None
        row_a.storage_path, row_b.storage_path = row_b.storage_path, row_a.storage_path
    with pytest.raises(EvidenceIntegrityError):
        _read(amparo, vault, a)
    with amparo.session() as uow:
        row_a, row_b = uow.get(EvidenceItemRow, a), uow.get(EvidenceItemRow, b)
        assert row_a is not None and row_b is not None
        row_a.storage_path, row_b.storage_path = row_b.storage_path, row_a.storage_path
        row_a.wrapped_key, row_b.wrapped_key = row_b.wrapped_key, row_a.wrapped_key
    with pytest.raises(EvidenceIntegrityError, match=r"wrapped data key .* fails its check"):
        _read(amparo, vault, a)
    with amparo.session() as uow:
        uow.execute(update(EvidenceItemRow).where(EvidenceItemRow.id == b).values(size=301))
    with pytest.raises(EvidenceIntegrityError):
        _read(amparo, vault, b)


def test_a_missing_blob_is_named(amparo: Amparo, vault: Vault, vault_dir: Path) -> None:
    item_id = _preserve(amparo, vault, b"gone")
    _blob(vault_dir, item_id).unlink()
    with pytest.raises(EvidenceIntegrityError, match="is missing"):
        _read(amparo, vault, item_id)


def test_a_wrong_kek_names_both_key_ids(
    amparo: Amparo, vault: Vault, vault_dir: Path, tmp_path: Path
) -> None:
    item_id = _preserve(amparo, vault, b"wrapped")
    stored = vault.keys.key_id
    other = tmp_path / "other.key"
    other_id = write_key_file(other)
    wrong = Vault(LocalBlobStore(vault_dir), LocalKeyFile(other))
    with pytest.raises(EvidenceKeyError) as info:
        _read(amparo, wrong, item_id)
    assert stored in info.value.message and other_id in info.value.message
    assert info.value.status_code == 503 and "AMPARO_EVIDENCE_KEY_FILE" in (info.value.hint or "")


def test_a_lost_kek_is_named(amparo: Amparo, vault: Vault, vault_dir: Path, key_file: Path) -> None:
    item_id = _preserve(amparo, vault, b"wrapped")
    key_file.unlink()
    lost = Vault(LocalBlobStore(vault_dir), LocalKeyFile(key_file))
    with pytest.raises(EvidenceKeyError, match="does not exist") as info:
        _read(amparo, lost, item_id)
    assert str(key_file) in info.value.message
    # A dev vault makes a new key, and the old items name the key they need.
    fresh = Vault(LocalBlobStore(vault_dir), LocalKeyFile(key_file, create=True))
    with pytest.raises(EvidenceKeyError, match="was wrapped with key-encryption key local:"):
        _read(amparo, fresh, item_id)


def test_a_key_file_that_is_not_one(amparo: Amparo, vault_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with (
        pytest.raises(EvidenceKeyError, match="is not an evidence key file"),
        amparo.session() as uow,
    ):
        Vault(LocalBlobStore(vault_dir), LocalKeyFile(bad)).preserve(uow, b"x", source="scan")
    assert not list(vault_dir.rglob("*.bin"))


def test_purged_items_do_not_open(amparo: Amparo, vault: Vault, clock: object) -> None:
    with amparo.session() as uow:
        item = vault.preserve(uow, b"old", source="scan", retention_days=1)
    with amparo.session() as uow:
        vault.purge(uow, now=item.retain_until)
    with pytest.raises(NotFoundError, match="was purged"):
        _read(amparo, vault, item.item_id)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.binary(min_size=0, max_size=2048),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_flipped_bit_fails(
    amparo: Amparo, vault: Vault, vault_dir: Path, data: bytes, where: float, bit: int
) -> None:
    """Property: flipping any one bit of any blob is detected; nothing is returned."""
    item_id = _preserve(amparo, vault, data)
    path = _blob(vault_dir, item_id)
    blob = bytearray(path.read_bytes())
    blob[int(where * len(blob))] ^= 1 << bit
    path.write_bytes(bytes(blob))
    with pytest.raises(EvidenceIntegrityError):
        _read(amparo, vault, item_id)
