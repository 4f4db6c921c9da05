"""Every tampering case of the issue is caught, with a message naming what and where."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from amparo import ledger
from amparo.ledger import Ledger, LedgerVerificationError, Signer
from amparo.ledger._merkle import EMPTY_ROOT
from amparo.ledger._record import commitment
from amparo.runtime import Amparo
from amparo.store import (
    LedgerCheckpointRow,
    LedgerEntryRow,
    LedgerStateRow,
    LedgerTileRow,
)

URL = "http://testserver/ledger"


@pytest.fixture
def grown(log: Ledger, add_entries: Callable[[int], list[int]]) -> list[int]:
    """A log of 600 entries (plus one tally) with two checkpoints."""
    ids = add_entries(300)
    log.integrate()
    log.checkpoint()
    ids += add_entries(300)
    log.integrate()
    log.checkpoint()
    return ids


def _audit(
    client: TestClient, signer: Signer, state: Path, full: bool = True
) -> ledger.AuditReport:
    return ledger.audit_remote(URL, signer.verifier, state, client=client, full=full)


def _rebuild(amparo: Amparo, log: Ledger) -> None:
    """What an operator with database access and the key would do to hide a change."""
    with amparo.session() as s:
        s.execute(update(LedgerEntryRow).values(leaf_index=None))
        s.execute(delete(LedgerTileRow))
        s.execute(delete(LedgerCheckpointRow))
        s.execute(update(LedgerStateRow).values(tree_size=0, root_hash=EMPTY_ROOT))
    log.integrate()
    log.checkpoint()


def _rewrite_record(amparo: Amparo, entry_id: int, new_commitment: bool) -> None:
    with amparo.session() as s:
        row = s.get(LedgerEntryRow, entry_id)
        assert row is not None
        row.record = bytes(row.record).replace(b'"text":""', b'"text":"fake"')
        if new_commitment:
            row.commitment = commitment(bytes(row.salt), row.record)


def test_changed_record_is_caught(
    amparo: Amparo, log: Ledger, log_signer: Signer, grown: list[int]
) -> None:
    proof_before = log.prove(grown[10])
    _rewrite_record(amparo, grown[10], new_commitment=False)
    with pytest.raises(LedgerVerificationError, match=rf"entry {grown[10]} at index 10 .*changed"):
        log.verify_local()
    with pytest.raises(LedgerVerificationError, match="index 10 is not in the checkpointed tree"):
        ledger.check_proof(log.prove(grown[10]), log_signer.verifier)
    assert ledger.check_proof(proof_before, log_signer.verifier).entry_id == grown[10]


def test_changed_record_with_rewritten_commitment_is_caught(
    amparo: Amparo, log: Ledger, grown: list[int]
) -> None:
    _rewrite_record(amparo, grown[42], new_commitment=True)
    with pytest.raises(LedgerVerificationError, match="entry at index 42 differs"):
        log.verify_local()


def test_deleted_record_is_caught(amparo: Amparo, log: Ledger, grown: list[int]) -> None:
    with amparo.session() as s:
        s.execute(delete(LedgerEntryRow).where(LedgerEntryRow.leaf_index == 7))
    with pytest.raises(LedgerVerificationError, match="entry at index 7 is missing"):
        log.verify_local()


def test_reordered_records_are_caught(amparo: Amparo, log: Ledger, grown: list[int]) -> None:
    with amparo.session() as s:
        s.execute(
            update(LedgerEntryRow).where(LedgerEntryRow.leaf_index == 3).values(leaf_index=-1)
        )
        s.execute(update(LedgerEntryRow).where(LedgerEntryRow.leaf_index == 9).values(leaf_index=3))
        s.execute(
            update(LedgerEntryRow).where(LedgerEntryRow.leaf_index == -1).values(leaf_index=9)
        )
    with pytest.raises(LedgerVerificationError, match="indexes 3, 9 were reordered"):
        log.verify_local()


def test_truncated_log_is_caught_locally(amparo: Amparo, log: Ledger, grown: list[int]) -> None:
    with amparo.session() as s:
        s.execute(delete(LedgerEntryRow).where(LedgerEntryRow.leaf_index >= 500))
        s.execute(update(LedgerStateRow).values(tree_size=500))
    with pytest.raises(LedgerVerificationError, match=r"covers 601 entries .*truncated"):
        log.verify_local()


@pytest.mark.parametrize("full", [True, False], ids=["full", "light"])
def test_truncated_log_is_caught_remotely(
    full: bool,
    amparo: Amparo,
    log: Ledger,
    log_signer: Signer,
    grown: list[int],
    served: TestClient,
    tmp_path: Path,
) -> None:
    assert _audit(served, log_signer, tmp_path, full).size == 601
    with amparo.session() as s:
        s.execute(delete(LedgerEntryRow).where(LedgerEntryRow.leaf_index >= 500))
    _rebuild(amparo, log)
    with pytest.raises(LedgerVerificationError, match=r"shrank: it now has 500 entries.*601"):
        _audit(served, log_signer, tmp_path, full)


def test_replaced_signing_key_is_caught(
    amparo: Amparo, log_signer: Signer, grown: list[int], served: TestClient, tmp_path: Path
) -> None:
    impostor = Ledger(amparo.engine, signer=ledger.generate_signer(log_signer.name))
    served.app.state.ledger = impostor  # type: ignore[attr-defined]
    with amparo.session() as s:
        s.execute(delete(LedgerCheckpointRow))
    impostor.checkpoint()
    with pytest.raises(LedgerVerificationError, match="not signed by " + log_signer.name):
        _audit(served, log_signer, tmp_path)
    with pytest.raises(LedgerVerificationError, match=r"not signed by the log key|no valid"):
        ledger.check_proof(impostor.prove(grown[0]), log_signer.verifier)
    with pytest.raises(LedgerVerificationError, match="key"):
        impostor.verify_local(log_signer.verifier)


@pytest.mark.parametrize("full", [True, False], ids=["full", "light"])
def test_split_view_is_caught(
    full: bool,
    amparo: Amparo,
    log: Ledger,
    log_signer: Signer,
    grown: list[int],
    served: TestClient,
    tmp_path: Path,
) -> None:
    assert _audit(served, log_signer, tmp_path, full).previous_size is None
    _rewrite_record(amparo, grown[3], new_commitment=True)
    _rebuild(amparo, log)
    with pytest.raises(LedgerVerificationError, match="split view: the checkpoint of size 601"):
        _audit(served, log_signer, tmp_path, full)


def test_corrupt_tile_is_caught(
    amparo: Amparo,
    log: Ledger,
    log_signer: Signer,
    grown: list[int],
    served: TestClient,
    tmp_path: Path,
) -> None:
    with amparo.session() as s:
        tile = s.get(LedgerTileRow, (0, 1))
        assert tile is not None
        data = bytearray(tile.hashes)
        data[5 * 32] ^= 1
        tile.hashes = bytes(data)
    with pytest.raises(LedgerVerificationError, match=r"tile .*/tile/0/001 does not match.*hash 5"):
        _audit(served, log_signer, tmp_path)
    with pytest.raises(LedgerVerificationError, match="entry at index 261 differs"):
        log.verify_local()


@pytest.mark.parametrize("full", [True, False], ids=["full", "light"])
def test_clean_remote_audit_follows_growth(
    full: bool,
    log: Ledger,
    log_signer: Signer,
    grown: list[int],
    served: TestClient,
    tmp_path: Path,
    add_entries: Callable[[int], list[int]],
) -> None:
    first = _audit(served, log_signer, tmp_path, full)
    add_entries(70)
    log.integrate()
    log.checkpoint()
    second = _audit(served, log_signer, tmp_path, full)
    assert (first.size, second.previous_size, second.size) == (601, 601, 671)
