"""The vault: round trips, custody events, roles, reasons, file modes, no plaintext on disk."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vaultkit import principal

from amparo.errors import InputError, NotFoundError, PermissionDeniedError
from amparo.events import Event
from amparo.evidence import EvidenceListed, EvidencePreserved, EvidenceRead, Vault
from amparo.runtime import Amparo

REVIEWER = principal("reviewer")


def _preserve(amparo: Amparo, vault: Vault, data: bytes, **kw: object) -> str:
    with amparo.session() as uow:
        return vault.preserve(uow, data, source="scan", **kw).item_id  # type: ignore[arg-type]


def _read(amparo: Amparo, vault: Vault, item_id: str, reason: str = "confirm report") -> bytes:
    with amparo.session() as uow:
        return vault.read(uow, item_id, principal=REVIEWER, reason=reason)


def test_round_trip_records_digest_and_custody(
    amparo: Amparo, vault: Vault, events: list[Event]
) -> None:
    data = secrets.token_bytes(5000)
    with amparo.session() as uow:
        item = vault.preserve(uow, data, source="scan", scan_id="s-1", media_type="image/jpeg")
    assert (item.size, item.media_type, item.scan_id, item.source) == (
        5000,
        "image/jpeg",
        "s-1",
        "scan",
    )
    assert item.retain_until - item.created_at == __import__("datetime").timedelta(days=365)
    assert _read(amparo, vault, item.item_id, reason="  queue item 4  ") == data
    preserved = [e for e in events if isinstance(e, EvidencePreserved)]
    assert len(preserved) == 1
    record = preserved[0].record()
    assert record["sha256"] == item.sha256 and record["size"] == 5000
    assert all(not isinstance(v, bytes) for v in record.values())
    (read,) = [e for e in events if isinstance(e, EvidenceRead)]
    assert (read.item_id, read.actor, read.role, read.reason, read.actor_key_id) == (
        item.item_id,
        "test-reviewer",
        "reviewer",
        "queue item 4",
        7,
    )


def test_the_runtime_builds_a_vault_from_settings(amparo: Amparo) -> None:
    data = b"synthetic gradient bytes"
    with amparo.session() as uow:
        item = amparo.vault.preserve(uow, data, source="sighting")
    with amparo.session() as uow:
        assert amparo.vault.read(uow, item.item_id, principal=REVIEWER, reason="r") == data
    key = amparo.settings.data_dir / "evidence.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert item.key_id.startswith("local:")


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"])
def test_a_read_needs_a_reason(amparo: Amparo, vault: Vault, reason: str) -> None:
    item_id = _preserve(amparo, vault, b"x" * 10)
    with pytest.raises(InputError, match="reading evidence needs a reason") as info:
        _read(amparo, vault, item_id, reason=reason)
    assert info.value.hint and "--reason" in info.value.hint


@pytest.mark.parametrize("role", ["scanner", "curator", "auditor"])
def test_only_reviewers_investigators_and_admins_read(
    amparo: Amparo, vault: Vault, role: str, events: list[Event]
) -> None:
    item_id = _preserve(amparo, vault, b"x" * 10)
    with (
        pytest.raises(PermissionDeniedError, match="reviewer or investigator"),
        amparo.session() as uow,
    ):
        vault.read(uow, item_id, principal=principal(role), reason="curious")
    assert not [e for e in events if isinstance(e, EvidenceRead)]
    for allowed in ("reviewer", "investigator", "admin"):
        with amparo.session() as uow:
            assert vault.read(uow, item_id, principal=principal(allowed), reason="r") == b"x" * 10


def test_unknown_item(amparo: Amparo, vault: Vault) -> None:
    with pytest.raises(NotFoundError, match="no evidence item"):
        _read(amparo, vault, "0190a9f0-0000-7000-8000-000000000000")
    with pytest.raises(NotFoundError, match="no evidence item"):
        _read(amparo, vault, "short")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "Not A Source"}, "not a short lower-case name"),
        ({"source": "scan", "media_type": "jpeg"}, "not a media type"),
        ({"source": "scan", "retention_days": 0}, "retention of 0 days"),
        ({"source": "scan", "scan_id": "x" * 37}, "scan id"),
    ],
)
def test_preserve_refuses_bad_input(
    amparo: Amparo, vault: Vault, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message), amparo.session() as uow:
        vault.preserve(uow, b"x", **kwargs)  # type: ignore[arg-type]


def test_metadata_listing_is_recorded(amparo: Amparo, vault: Vault, events: list[Event]) -> None:
    ids = [_preserve(amparo, vault, bytes([n]) * 100) for n in range(3)]
    with amparo.session() as uow:
        page = vault.list_items(uow, principal=principal("auditor"), limit=2)
    assert [i.item_id for i in page] == ids[:2]
    with amparo.session() as uow:
        rest = vault.list_items(uow, principal=principal("auditor"), after=ids[1])
        shown = vault.show(uow, ids[2], principal=principal("investigator"))
    assert [i.item_id for i in rest] == [ids[2]] and shown.item_id == ids[2]
    listed = [e for e in events if isinstance(e, EvidenceListed)]
    assert [e.item_ids for e in listed] == [tuple(ids[:2]), (ids[2],), (ids[2],)]
    with pytest.raises(PermissionDeniedError), amparo.session() as uow:
        vault.list_items(uow, principal=principal("scanner"))


def test_modes_of_the_vault_dirs_files_and_key(
    amparo: Amparo, vault: Vault, vault_dir: Path, key_file: Path
) -> None:
    _preserve(amparo, vault, b"modes")
    found = list(vault_dir.rglob("*"))
    assert found
    for path in [vault_dir, *found]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert not [p for p in found if p.name.endswith(".tmp")]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def _files(root: Path) -> dict[Path, int]:
    """Every regular file under ``root`` with its modification time (other processes' files
    may come and go meanwhile)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink():
                    found[path] = path.stat().st_mtime_ns
    return found


def _content(path: Path) -> bytes:
    with contextlib.suppress(OSError):
        if path.stat().st_size <= 64 * 2**20:
            return path.read_bytes()
    return b""


def test_no_plaintext_touches_disk(amparo: Amparo, vault: Vault, tmp_path: Path) -> None:
    """After a preserve, a read and an export, no file under the test's directory (vault,
    database, data directory) or the temporary directory holds any part of the plaintext."""
    import pyrage

    tmp = Path(tempfile.gettempdir())
    before = _files(tmp)
    data = secrets.token_bytes(64 * 1024)
    item_id = _preserve(amparo, vault, data, media_type="image/png")
    assert _read(amparo, vault, item_id) == data
    identity = pyrage.x25519.Identity.generate()
    with amparo.session() as uow:
        vault.export_to(
            uow,
            [item_id],
            str(identity.to_public()),
            principal=principal("investigator"),
            reason="case 9",
        )
    probes = [data[i : i + 32] for i in range(0, len(data), 8192)]
    candidates = set(_files(tmp_path))
    candidates |= {p for p, mtime in _files(tmp).items() if before.get(p) != mtime}
    assert any(p.is_relative_to(tmp_path / "vault") for p in candidates)
    for path in candidates:
        content = _content(path)
        assert not any(probe in content for probe in probes), f"plaintext found in {path}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.binary(min_size=0, max_size=4096),
    media_type=st.one_of(st.none(), st.sampled_from(["image/jpeg", "video/mp4"])),
)
def test_any_bytes_round_trip(
    amparo: Amparo, vault: Vault, data: bytes, media_type: str | None
) -> None:
    item_id = _preserve(amparo, vault, data, media_type=media_type)
    assert _read(amparo, vault, item_id) == data
