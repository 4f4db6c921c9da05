"""Retention, legal holds and purging, with an injected clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from vaultkit import principal

from amparo.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from amparo.events import Event
from amparo.evidence import (
    EvidenceHoldPlaced,
    EvidenceHoldReleased,
    EvidenceItem,
    EvidencePurged,
    Vault,
)
from amparo.runtime import Amparo
from amparo.store import utcnow

ADMIN = principal("admin", key_id=1)
INVESTIGATOR = principal("investigator", key_id=2)


def _preserve(amparo: Amparo, vault: Vault, days: int | None = None) -> EvidenceItem:
    with amparo.session() as uow:
        return vault.preserve(uow, b"benign bytes", source="scan", retention_days=days)


def _blobs(vault_dir: Path) -> set[str]:
    return {p.stem for p in vault_dir.rglob("*.bin")}


def test_items_are_purged_when_retention_ends(
    amparo: Amparo, vault: Vault, vault_dir: Path, clock: object, events: list[Event]
) -> None:
    short = _preserve(amparo, vault, days=10)
    default = _preserve(amparo, vault)
    start = short.created_at
    with amparo.session() as uow:
        assert vault.purge(uow, now=start.replace(day=10)) == []
    with amparo.session() as uow:
        purged = vault.purge(uow, now=short.retain_until)
    assert [p.item_id for p in purged] == [short.item_id]
    assert purged[0].purged_at == short.retain_until
    assert _blobs(vault_dir) == {default.item_id}
    (event,) = [e for e in events if isinstance(e, EvidencePurged)]
    assert (event.item_id, event.sha256, event.actor) == (short.item_id, short.sha256, "purge-job")
    with amparo.session() as uow:  # the tombstone stays, listed on request
        listed = vault.list_items(uow, principal=ADMIN, include_purged=True)
        assert [i.item_id for i in vault.list_items(uow, principal=ADMIN)] == [default.item_id]
    assert {i.item_id: i.purged_at is not None for i in listed} == {
        short.item_id: True,
        default.item_id: False,
    }
    with amparo.session() as uow:
        assert vault.purge(uow, now=default.retain_until) != []
    assert _blobs(vault_dir) == set()


def test_a_hold_blocks_the_purge_job_until_released(
    amparo: Amparo, vault: Vault, vault_dir: Path, events: list[Event]
) -> None:
    item = _preserve(amparo, vault, days=1)
    with amparo.session() as uow:
        hold = vault.place_hold(uow, item.item_id, principal=INVESTIGATOR, reason="case 12")
    with amparo.session() as uow:
        assert vault.purge(uow, now=item.retain_until) == []
        assert vault.show(uow, item.item_id, principal=ADMIN).legal_hold
    assert _blobs(vault_dir) == {item.item_id}
    with amparo.session() as uow:
        released = vault.release_hold(uow, hold.hold_id, principal=ADMIN, reason="case closed")
    assert released.released_by == "test-admin" and not released.active
    with amparo.session() as uow:
        assert [p.item_id for p in vault.purge(uow, now=item.retain_until)] == [item.item_id]
    kinds = [type(e) for e in events if isinstance(e, EvidenceHoldPlaced | EvidenceHoldReleased)]
    assert kinds == [EvidenceHoldPlaced, EvidenceHoldReleased]


def test_an_explicit_purge_under_hold_refuses(
    amparo: Amparo, vault: Vault, vault_dir: Path
) -> None:
    held = _preserve(amparo, vault, days=1)
    free = _preserve(amparo, vault, days=1)
    with amparo.session() as uow:
        vault.place_hold(uow, held.item_id, principal=INVESTIGATOR, reason="subpoena 77")
    with pytest.raises(ConflictError, match="under legal hold") as info, amparo.session() as uow:
        vault.purge(
            uow, now=held.retain_until, item_ids=[free.item_id, held.item_id], principal=ADMIN
        )
    assert "subpoena 77" in info.value.message and "nothing was purged" in info.value.message
    assert "amparo evidence release" in (info.value.hint or "")
    assert _blobs(vault_dir) == {held.item_id, free.item_id}
    # Two holds: the item stays held until both are released.
    with amparo.session() as uow:
        second = vault.place_hold(uow, held.item_id, principal=ADMIN, reason="second case")
        first = vault.show(uow, held.item_id, principal=ADMIN).holds[0]
    with amparo.session() as uow:
        vault.release_hold(uow, first.hold_id, principal=ADMIN, reason="done")
    with pytest.raises(ConflictError, match="under legal hold"), amparo.session() as uow:
        vault.purge(uow, now=held.retain_until, item_ids=[held.item_id], principal=ADMIN)
    with amparo.session() as uow:
        vault.release_hold(uow, second.hold_id, principal=ADMIN, reason="done")
        vault.purge(uow, now=held.retain_until, item_ids=[held.item_id], principal=ADMIN)
    assert _blobs(vault_dir) == {free.item_id}


def test_an_explicit_purge_before_retention_ends_refuses(amparo: Amparo, vault: Vault) -> None:
    item = _preserve(amparo, vault)
    with pytest.raises(ConflictError, match="must be kept until"), amparo.session() as uow:
        vault.purge(uow, now=item.created_at, item_ids=[item.item_id], principal=ADMIN)
    with pytest.raises(PermissionDeniedError), amparo.session() as uow:
        vault.purge(uow, now=item.retain_until, item_ids=[item.item_id], principal=INVESTIGATOR)
    with pytest.raises(NotFoundError), amparo.session() as uow:
        vault.purge(uow, item_ids=["0190a9f0-0000-7000-8000-000000000000"], principal=ADMIN)


def test_hold_rules(amparo: Amparo, vault: Vault) -> None:
    item = _preserve(amparo, vault)
    with pytest.raises(PermissionDeniedError), amparo.session() as uow:
        vault.place_hold(uow, item.item_id, principal=principal("reviewer"), reason="x")
    with pytest.raises(InputError, match="needs a reason"), amparo.session() as uow:
        vault.place_hold(uow, item.item_id, principal=INVESTIGATOR, reason=" ")
    with amparo.session() as uow:
        hold = vault.place_hold(uow, item.item_id, principal=INVESTIGATOR, reason="case")
    with pytest.raises(PermissionDeniedError), amparo.session() as uow:
        vault.release_hold(uow, hold.hold_id, principal=INVESTIGATOR, reason="x")
    with amparo.session() as uow:
        vault.release_hold(uow, hold.hold_id, principal=ADMIN, reason="x")
    with pytest.raises(ConflictError, match="already released"), amparo.session() as uow:
        vault.release_hold(uow, hold.hold_id, principal=ADMIN, reason="x")
    with pytest.raises(NotFoundError, match="no legal hold 999"), amparo.session() as uow:
        vault.release_hold(uow, 999, principal=ADMIN, reason="x")


def test_the_runtime_purge_job(amparo: Amparo, events: list[Event]) -> None:
    """The runtime's evidence-purge worker purges what has expired by the real clock."""
    amparo.vault.clock = lambda: utcnow() - timedelta(days=3)
    with amparo.session() as uow:
        old = amparo.vault.preserve(uow, b"x", source="scan", retention_days=1)
        amparo.vault.preserve(uow, b"y", source="scan", retention_days=30)
    assert amparo.purge_evidence() == [old.item_id]
    assert amparo.purge_evidence(principal("admin")) == []
    with amparo.session() as uow:
        again = amparo.vault.preserve(uow, b"z", source="scan", retention_days=2)
    amparo.start()
    try:
        assert amparo.worker("evidence-purge").run_now()
    finally:
        amparo.stop()
    purged = [e.item_id for e in events if isinstance(e, EvidencePurged)]
    assert purged == [old.item_id, again.item_id]
