"""Exports: media leaves the vault only as an age file, for an authorised role with a reason."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pyrage
import pytest
from vaultkit import principal

from amparo.errors import InputError, PermissionDeniedError
from amparo.events import Event
from amparo.evidence import EXPORT_FORMAT, EvidenceExported, Vault
from amparo.runtime import Amparo

INVESTIGATOR = principal("investigator")


def _unpack(archive: bytes, identity: object) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(archive, [identity]))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_export_decrypts_to_the_items_and_a_manifest(
    amparo: Amparo, vault: Vault, events: list[Event]
) -> None:
    identity = pyrage.x25519.Identity.generate()
    with amparo.session() as uow:
        a = vault.preserve(uow, b"gradient " * 50, source="scan", media_type="image/png")
        b = vault.preserve(uow, b"checkerboard", source="sighting", scan_id="s-9")
    with amparo.session() as uow:
        archive = vault.export_to(
            uow,
            [a.item_id, b.item_id, a.item_id],
            f"  {identity.to_public()}  ",
            principal=INVESTIGATOR,
            reason="case 2026-114 for the prosecutor",
        )
    assert b"gradient" not in archive
    files = _unpack(archive, identity)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["format"] == EXPORT_FORMAT
    assert manifest["reason"] == "case 2026-114 for the prosecutor"
    assert [i["item_id"] for i in manifest["items"]] == [a.item_id, b.item_id]
    assert files == {
        f"items/{a.item_id}.png": b"gradient " * 50,
        f"items/{b.item_id}.bin": b"checkerboard",
    }
    for entry in manifest["items"]:
        assert hashlib.sha256(files[entry["file"]]).hexdigest() == entry["sha256"]
    (event,) = [e for e in events if isinstance(e, EvidenceExported)]
    assert event.item_ids == (a.item_id, b.item_id)
    assert event.recipient == str(identity.to_public())
    assert event.archive_sha256 == hashlib.sha256(archive).hexdigest()
    assert (event.actor, event.role) == ("test-investigator", "investigator")


@pytest.mark.parametrize(
    "recipient",
    ["", "age1notavalidrecipient", "AGE-SECRET-KEY-1XYZ", "ssh-ed25519 AAAAnope", "a\x00b"],
)
def test_a_malformed_recipient_is_refused(amparo: Amparo, vault: Vault, recipient: str) -> None:
    with amparo.session() as uow:
        item = vault.preserve(uow, b"x", source="scan")
    with pytest.raises(InputError, match="recipient") as info, amparo.session() as uow:
        vault.export_to(uow, [item.item_id], recipient, principal=INVESTIGATOR, reason="r")
    assert "age1" in (info.value.hint or "") or "Unicode" in (info.value.hint or "")


@pytest.mark.parametrize("role", ["reviewer", "scanner", "auditor", "curator"])
def test_only_investigators_and_admins_export(amparo: Amparo, vault: Vault, role: str) -> None:
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    with amparo.session() as uow:
        item = vault.preserve(uow, b"x", source="scan")
    with pytest.raises(PermissionDeniedError), amparo.session() as uow:
        vault.export_to(uow, [item.item_id], recipient, principal=principal(role), reason="r")
    with amparo.session() as uow:
        vault.export_to(uow, [item.item_id], recipient, principal=principal("admin"), reason="r")


def test_an_export_needs_a_reason_and_items(amparo: Amparo, vault: Vault) -> None:
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    with amparo.session() as uow:
        item = vault.preserve(uow, b"x", source="scan")
    with pytest.raises(InputError, match="an export needs a reason"), amparo.session() as uow:
        vault.export_to(uow, [item.item_id], recipient, principal=INVESTIGATOR, reason="")
    with pytest.raises(InputError, match="at least one item"), amparo.session() as uow:
        vault.export_to(uow, [], recipient, principal=INVESTIGATOR, reason="r")


def test_the_largest_export_fits_one_ledger_entry() -> None:
    """A 1,000-item export (the most) with a long SSH recipient is one ledger record."""
    from datetime import UTC, datetime

    from amparo.ledger import MAX_RECORD_BYTES, canonical_record

    event = EvidenceExported(
        item_ids=tuple(f"0190a9f0-0000-7000-8000-{n:012d}" for n in range(1000)),
        items_sha256="a" * 64,
        recipient="ssh-rsa " + "A" * 4000,
        archive_sha256="b" * 64,
        actor_key_id=2**62,
        actor="n" * 255,
        role="investigator",
        reason="r" * 1000,
    )
    assert len(canonical_record(event, datetime.now(UTC))) < MAX_RECORD_BYTES


def test_export_records_the_items_digest(amparo: Amparo, vault: Vault, events: list[Event]) -> None:
    identity = pyrage.x25519.Identity.generate()
    with amparo.session() as uow:
        a = vault.preserve(uow, b"one", source="scan")
        b = vault.preserve(uow, b"two", source="scan")
    with amparo.session() as uow:
        vault.export_to(
            uow,
            [b.item_id, a.item_id],
            str(identity.to_public()),
            principal=INVESTIGATOR,
            reason="r",
        )
    (event,) = [e for e in events if isinstance(e, EvidenceExported)]
    lines = f"{b.item_id} {b.sha256}\n{a.item_id} {a.sha256}\n"
    assert event.items_sha256 == hashlib.sha256(lines.encode()).hexdigest()
