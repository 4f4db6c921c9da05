"""Case packages on SQLite and PostgreSQL: export, offline verification, tampering named,
malformed recipients, a full disk, permissions."""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pyrage
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrage import x25519
from sqlalchemy import func, select
from typer.testing import CliRunner

from amparo import cases
from amparo.auth import Principal
from amparo.cli import app
from amparo.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from amparo.runtime import Amparo
from amparo.store import LedgerEntryRow
from casefactory import MemorySources

INVESTIGATOR = Principal(key_id=7, name="inv", role="investigator")
runner = CliRunner()


@pytest.fixture
def identity() -> x25519.Identity:
    return x25519.Identity.generate()


@pytest.fixture
def sources(amparo: Amparo) -> MemorySources:
    src = MemorySources(amparo)
    cases.create_case(amparo, "referral-1", description="Two sightings", principal=INVESTIGATOR)
    items = [cases.parse_item("sighting:1"), cases.parse_item("2")]
    cases.add_items(amparo, src, "referral-1", items, principal=INVESTIGATOR)
    return src


def _count(amparo: Amparo, kind: str) -> int:
    with amparo.session() as s:
        return s.scalar(select(func.count()).where(LedgerEntryRow.kind == kind)) or 0


def _export(
    amparo: Amparo, sources: MemorySources, out: Path, recipient: str
) -> cases.ExportReport:
    return cases.export_case(
        amparo, sources, "referral-1", recipient=recipient, out=out, principal=INVESTIGATOR
    )


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        out = {}
        for m in tar:
            f = tar.extractfile(m)
            assert f is not None
            out[m.name.split("/", 1)[1]] = f.read()
        return out


def test_export_then_verify_offline(
    amparo: Amparo, sources: MemorySources, identity: x25519.Identity, tmp_path: Path
) -> None:
    out = tmp_path / "case.tar"
    report = _export(amparo, sources, out, str(identity.to_public()))
    assert report.evidence_files == 4 and sources.reads == 4
    files = _members(out)
    assert {
        "case.json",
        "custody.json",
        "timeline.json",
        "summary.pdf",
        "checkpoint.txt",
        "log.vkey",
        "MANIFEST.sha256",
    } <= set(files)
    assert files["summary.pdf"].startswith(b"%PDF")
    # Evidence decrypts with the recipient's identity (what `age -d -i key` does).
    evidence = sorted(n for n in files if n.startswith("evidence/"))
    assert len(evidence) == 4
    assert pyrage.decrypt(files[evidence[0]], [identity]) == sources.blobs["v1-0"]
    assert files[evidence[0]].startswith(b"age-encryption.org/v1\n")
    # Proofs: case create, 2 adds, 2 notices, 4 reads, the export itself.
    proofs = [n for n in files if n.startswith("proofs/")]
    assert len(proofs) == report.proofs == 10
    custody = json.loads(files["custody.json"])
    assert len(custody["v1-0"]) == 1 and custody["v1-0"][0]["action"] == "read"
    result = cases.verify_archive(out, identity=identity)
    assert result.ok, result.problems
    assert result.key_from_archive and result.proofs == 10 and result.evidence_decrypted == 4
    assert _count(amparo, "case.export") == 1
    assert _count(amparo, "testvault.read") == 4


def test_each_proof_checks_with_the_ledger_cli(
    amparo: Amparo, sources: MemorySources, identity: x25519.Identity, tmp_path: Path
) -> None:
    out = tmp_path / "case.tar"
    _export(amparo, sources, out, str(identity.to_public()))
    files = _members(out)
    vkey = files["log.vkey"].decode().strip()
    name = next(n for n in files if n.startswith("proofs/"))
    proof = tmp_path / "one.tlog-proof"
    proof.write_bytes(files[name])
    r = runner.invoke(app, ["ledger", "check-proof", str(proof), "--vkey", vkey])
    assert r.exit_code == 0, r.output


def _rewrite(src: Path, dst: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    with tarfile.open(src) as tar:
        root = tar.getmembers()[0].name.split("/")[0]
    files = _members(src)
    change(files)
    with tarfile.open(dst, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _flip(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _remanifest(files: dict[str, bytes]) -> None:
    import hashlib

    lines = sorted(
        f"{hashlib.sha256(d).hexdigest()}  {n}\n"
        for n, d in files.items()
        if n != "MANIFEST.sha256"
    )
    files["MANIFEST.sha256"] = "".join(lines).encode()


def _evidence(files: dict[str, bytes]) -> str:
    return sorted(n for n in files if n.startswith("evidence/"))[0]


def _tamper_evidence(files: dict[str, bytes]) -> None:
    files[_evidence(files)] = _flip(files[_evidence(files)])


def _tamper_evidence_and_manifest(files: dict[str, bytes]) -> None:
    _tamper_evidence(files)
    _remanifest(files)


def _tamper_case_json(files: dict[str, bytes]) -> None:
    case = json.loads(files["case.json"])
    case["recipient"] = "age1someoneelse"
    files["case.json"] = json.dumps(case).encode()
    _remanifest(files)


def _tamper_proof(files: dict[str, bytes]) -> None:
    name = sorted(n for n in files if n.startswith("proofs/"))[0]
    files[name] = files[name].replace(b"index ", b"index 1", 1)


def _drop_timeline(files: dict[str, bytes]) -> None:
    del files["timeline.json"]


def _add_file(files: dict[str, bytes]) -> None:
    files["notes.txt"] = b"hello"


def _tamper_custody(files: dict[str, bytes]) -> None:
    files["custody.json"] = b"{}"
    _remanifest(files)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_tamper_evidence, "was changed (its SHA-256 is not the manifest's)"),
        (_tamper_evidence_and_manifest, "was changed (its SHA-256 is not the one case.json"),
        (_tamper_case_json, "case.json was changed (the ledger recorded another SHA-256"),
        (_tamper_proof, "proofs/"),
        (_drop_timeline, "timeline.json is missing"),
        (_add_file, "notes.txt was added"),
        (_tamper_custody, "MANIFEST.sha256 was changed (the ledger sealed another"),
    ],
)
def test_tampering_is_named(
    amparo: Amparo,
    sources: MemorySources,
    identity: x25519.Identity,
    tmp_path: Path,
    change: Callable[[dict[str, bytes]], None],
    named: str,
) -> None:
    out = tmp_path / "case.tar"
    _export(amparo, sources, out, str(identity.to_public()))
    bad = tmp_path / "bad.tar"
    _rewrite(out, bad, change)
    result = cases.verify_archive(bad)
    assert not result.ok
    assert any(named in p for p in result.problems), result.problems
    if change is _tamper_evidence_and_manifest:
        assert any(p.startswith(_evidence(_members(out))) for p in result.problems)


@pytest.mark.parametrize(
    "recipient",
    ["", "age1notakey", "AGE-SECRET-KEY-1XYZ", "ssh-ed25519 AAAA", "x" * 20_000],
)
def test_a_malformed_recipient_is_refused_before_reading(
    amparo: Amparo, sources: MemorySources, tmp_path: Path, recipient: str
) -> None:
    out = tmp_path / "case.tar"
    with pytest.raises(InputError) as info:
        _export(amparo, sources, out, recipient)
    assert "recipient" in info.value.message and info.value.hint
    assert sources.reads == 0 and not out.exists()
    assert _count(amparo, "case.export") == 0


class _Full:
    """/dev/full: the kernel answers every write with ENOSPC, as a full disk does."""

    def __call__(self, path: Path) -> BinaryIO:
        return open("/dev/full", "wb")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_leaves_nothing_and_is_ledgered(
    amparo: Amparo, identity: x25519.Identity, tmp_path: Path
) -> None:
    src = MemorySources(amparo, size=200_000)
    cases.create_case(amparo, "big", description=None, principal=INVESTIGATOR)
    cases.add_items(amparo, src, "big", [cases.parse_item("1")], principal=INVESTIGATOR)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "case.tar"
    with pytest.raises(InputError) as info:
        cases.export_case(
            amparo,
            src,
            "big",
            recipient=str(identity.to_public()),
            out=out,
            principal=INVESTIGATOR,
            opener=_Full(),
        )
    assert "No space left on device" in info.value.message
    assert "nothing was left behind" in info.value.message
    assert list(out.parent.iterdir()) == [], "no archive, partial file or staging folder is left"
    assert _count(amparo, "case.export") == 0
    assert _count(amparo, "case.export_failed") == 1


def test_a_write_error_midway_at_the_file_seam(
    amparo: Amparo, sources: MemorySources, identity: x25519.Identity, tmp_path: Path
) -> None:
    class Failing(io.BufferedWriter):
        written = 0

        def write(self, data: object) -> int:
            Failing.written += len(data)  # type: ignore[arg-type]
            if Failing.written > 20_000:
                raise OSError(28, "No space left on device")
            return super().write(data)  # type: ignore[arg-type]

    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "case.tar"
    with pytest.raises(InputError, match="No space left"):
        cases.export_case(
            amparo,
            sources,
            "referral-1",
            recipient=str(identity.to_public()),
            out=out,
            principal=INVESTIGATOR,
            opener=lambda p: Failing(p.open("xb")),
        )
    assert list(out.parent.iterdir()) == []


def test_export_streams_files_one_at_a_time(
    amparo: Amparo, identity: x25519.Identity, tmp_path: Path
) -> None:
    src = MemorySources(amparo, sightings=4, files=10, size=512 * 1024)  # 20 MiB of evidence
    cases.create_case(amparo, "many", description=None, principal=INVESTIGATOR)
    items = [cases.parse_item(str(n)) for n in range(1, 5)]
    cases.add_items(amparo, src, "many", items, principal=INVESTIGATOR)
    tracemalloc.start()
    try:
        cases.export_case(
            amparo,
            src,
            "many",
            recipient=str(identity.to_public()),
            out=tmp_path / "many.tar",
            principal=INVESTIGATOR,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB for 20 MiB of evidence"


def test_rules_of_cases(amparo: Amparo, sources: MemorySources, tmp_path: Path) -> None:
    scanner = Principal(key_id=3, name="s", role="scanner")
    with pytest.raises(PermissionDeniedError):
        cases.export_case(
            amparo, sources, "referral-1", recipient="age1x", out=tmp_path / "x", principal=scanner
        )
    with pytest.raises(ConflictError):
        cases.create_case(amparo, "referral-1", description=None, principal=INVESTIGATOR)
    with pytest.raises(NotFoundError, match="sighting:99"):
        cases.add_items(
            amparo, sources, "referral-1", [cases.parse_item("99")], principal=INVESTIGATOR
        )
    with pytest.raises(InputError, match="not a case item"):
        cases.parse_item("video:1")
    added, present = cases.add_items(
        amparo, sources, "referral-1", [cases.parse_item("1")], principal=INVESTIGATOR
    )
    assert (added, [p.text() for p in present]) == ([], ["sighting:1"])
    cases.create_case(amparo, "empty", description=None, principal=INVESTIGATOR)
    key = str(x25519.Identity.generate().to_public())
    with pytest.raises(InputError, match="no items"):
        cases.export_case(
            amparo, sources, "empty", recipient=key, out=tmp_path / "e.tar", principal=INVESTIGATOR
        )
    (tmp_path / "taken.tar").write_bytes(b"")
    with pytest.raises(ConflictError):
        _export(amparo, sources, tmp_path / "taken.tar", key)


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(InputError, match="not a case archive"):
        cases.verify_archive(junk)


def test_large_evidence_goes_through_a_staging_file(
    amparo: Amparo,
    sources: MemorySources,
    identity: x25519.Identity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("amparo.cases._export._IN_MEMORY", 100)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "case.tar"
    _export(amparo, sources, out, str(identity.to_public()))
    assert sorted(p.name for p in out.parent.iterdir()) == ["case.tar"]
    result = cases.verify_archive(out, identity=identity)
    assert result.ok and result.evidence_decrypted == 4, result.problems


def test_any_changed_byte_is_named(
    amparo: Amparo, sources: MemorySources, identity: x25519.Identity, tmp_path: Path
) -> None:
    """The rule: change any byte of any file the manifest lists, or of the manifest itself,
    and verification fails naming that file (the seal covers the manifest)."""
    out = tmp_path / "case.tar"
    _export(amparo, sources, out, str(identity.to_public()))
    files = _members(out)
    names = sorted(n for n in files if n != "SEAL.tlog-proof")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(names))
        offset = data.draw(st.integers(0, len(files[name]) - 1))
        flip = data.draw(st.integers(1, 255))

        def change(f: dict[str, bytes]) -> None:
            raw = bytearray(f[name])
            raw[offset] ^= flip
            f[name] = bytes(raw)

        bad = tmp_path / "bad.tar"
        _rewrite(out, bad, change)
        result = cases.verify_archive(bad)
        assert any(name in p for p in result.problems), (name, result.problems)

    check()
