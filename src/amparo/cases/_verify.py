"""Check a case archive end to end, offline (:func:`verify_archive`).

The checklist, each failure named in the report (nothing stops at the first):

1. the file is a tar of regular files under one folder, no path escaping it, none twice;
2. ``MANIFEST.sha256`` lists exactly the files present (but the seal), with their SHA-256,
   and ``SEAL.tlog-proof`` proves the ledger recorded the manifest's SHA-256 for this export;
3. every ledger proof verifies against the log key (given, or the archive's ``log.vkey``)
   and the given witnesses' keys, and ``checkpoint.txt`` is a checkpoint they were checked
   against;
4. the ``case.export`` entry is proven and records ``case.json``'s SHA-256;
5. ``case.json`` lists every content file (evidence, timeline, summary) with its SHA-256:
   a file changed together with the manifest is still named;
6. every ledger entry the case, timeline and custody name has a proof;
7. with the recipient's identity: every evidence file decrypts to the plaintext digest.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pyrage

from amparo.cases._archive import MANIFEST, SEAL, parse_manifest
from amparo.cases.base import VerifyReport
from amparo.errors import InputError, LedgerVerificationError
from amparo.ledger import CheckedProof, Verifier, check_proof, parse_vkey

__all__ = ["verify_archive"]

_SMALL = 16 << 20  # documents kept in memory for checks; evidence is only hashed
_CHUNK = 1 << 20


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


class _HashWriter:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)


def _read_members(
    path: Path, problems: list[str]
) -> tuple[dict[str, str], dict[str, bytes], str | None]:
    """(path -> SHA-256, small documents, root folder) of every file in the archive."""
    digests: dict[str, str] = {}
    docs: dict[str, bytes] = {}
    root: str | None = None
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{path} is not a case archive (a tar file): {exc}") from None
    with tar:
        try:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if root is None and parts:
                    root = parts[0]
                if (
                    len(parts) < 2
                    or parts[0] != root
                    or ".." in parts
                    or member.name.startswith("/")
                ):
                    problems.append(f"unexpected member {member.name!r} outside the case folder")
                    continue
                name = "/".join(parts[1:])
                if not member.isfile():
                    problems.append(f"unexpected member {name!r} (not a regular file)")
                    continue
                if name in digests:
                    problems.append(f"{name} appears twice")
                    continue
                f = tar.extractfile(member)
                if f is None:  # pragma: no cover - regular files always have data
                    continue
                digest = hashlib.sha256()
                keep = not name.startswith("evidence/") and member.size <= _SMALL
                chunks: list[bytes] = []
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    if keep:
                        chunks.append(chunk)
                digests[name] = digest.hexdigest()
                if keep:
                    docs[name] = b"".join(chunks)
        except (tarfile.TarError, OSError, EOFError) as exc:
            problems.append(f"the archive is truncated or damaged: {exc}")
    return digests, docs, root


def _json(docs: dict[str, bytes], name: str, problems: list[str]) -> object:
    raw = docs.get(name)
    if raw is None:
        problems.append(f"{name} is missing")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        problems.append(f"{name} is not JSON")
        return None


def _key(
    vkey: Verifier | None, docs: dict[str, bytes], problems: list[str]
) -> tuple[Verifier | None, bool]:
    if vkey is not None:
        return vkey, False
    raw = docs.get("log.vkey")
    if raw is None:
        problems.append("log.vkey is missing and no --vkey was given")
        return None, True
    try:
        return parse_vkey(raw.decode().strip()), True
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(f"log.vkey is not a verifier key: {exc}")
        return None, True


def _proofs(
    docs: dict[str, bytes],
    key: Verifier,
    witnesses: Sequence[Verifier],
    problems: list[str],
) -> dict[int, CheckedProof]:
    checked: dict[int, CheckedProof] = {}
    notes: set[str] = set()
    for name in sorted(n for n in docs if n.startswith("proofs/")):
        stem = name.removeprefix("proofs/").removesuffix(".tlog-proof")
        try:
            text = docs[name].decode()
            proof = check_proof(text, key, witnesses)
        except (UnicodeDecodeError, LedgerVerificationError) as exc:
            message = exc.message if isinstance(exc, LedgerVerificationError) else str(exc)
            problems.append(f"{name}: {message}")
            continue
        if not stem.isdigit() or proof.entry_id != int(stem):
            problems.append(f"{name}: proves entry {proof.entry_id}, not {stem}")
            continue
        checked[proof.entry_id] = proof
        notes.add(text.partition("\n\n")[2])
    checkpoint = docs.get("checkpoint.txt")
    if checkpoint is None:
        problems.append("checkpoint.txt is missing")
    elif notes and checkpoint.decode(errors="replace") not in notes:
        problems.append("checkpoint.txt is not the checkpoint the proofs verify against")
    return checked


def _check_seal(
    docs: dict[str, bytes],
    key: Verifier,
    witnesses: Sequence[Verifier],
    case: dict[str, object],
    problems: list[str],
) -> None:
    raw = docs.get(SEAL)
    if raw is None:
        problems.append(f"{SEAL} is missing: the manifest itself cannot be checked")
        return
    try:
        proof = check_proof(raw.decode(errors="replace"), key, witnesses)
    except LedgerVerificationError as exc:
        problems.append(f"{SEAL}: {exc.message}")
        return
    data = _dict(proof.record.get("data"))
    if proof.record.get("kind") != "case.export_seal" or data.get("export_id") != case.get(
        "export_id"
    ):
        problems.append(f"{SEAL} does not seal this export")
    elif data.get("manifest_sha256") != hashlib.sha256(docs.get(MANIFEST, b"")).hexdigest():
        problems.append(
            f"{MANIFEST} was changed (the ledger sealed another SHA-256 for this export)"
        )


def _named_entries(case: dict[str, object], timeline: object, custody: object) -> set[int]:
    named: set[int] = set()
    for item in _list(case.get("items")):
        named.update(e for e in _list(_dict(item).get("ledger_entries")) if isinstance(e, int))
    for events in (timeline, custody):
        for steps in _dict(events).values():
            for step in _list(steps):
                entry = _dict(step).get("entry")
                if isinstance(entry, int):
                    named.add(entry)
    return named


def _decrypt_all(
    path: Path, root: str, case: dict[str, object], identity: object, problems: list[str]
) -> int:
    expected: dict[str, str] = {}
    for item in _list(case.get("items")):
        for ev in _list(_dict(item).get("evidence")):
            expected[str(_dict(ev).get("file"))] = str(_dict(ev).get("plaintext_sha256"))
    done = 0
    with tarfile.open(path, mode="r:") as tar:
        for name, want in sorted(expected.items()):
            try:
                f = tar.extractfile(f"{root}/{name}")
            except KeyError:
                continue  # already reported as missing
            if f is None:
                continue
            sink = _HashWriter()
            try:
                pyrage.decrypt_io(f, sink, [identity])
            except pyrage.DecryptError as exc:
                problems.append(f"{name} does not decrypt with the given identity: {exc}")
                continue
            if sink.digest.hexdigest() != want:
                problems.append(f"{name} decrypts to other content than case.json records")
            done += 1
    return done


def verify_archive(
    path: Path,
    *,
    vkey: Verifier | None = None,
    witness_vkeys: Sequence[Verifier] = (),
    identity: object | None = None,
) -> VerifyReport:
    """Check the archive at ``path`` without the server; see the module's checklist.

    ``vkey`` pins the log's key (else the archive's own ``log.vkey`` is used, which proves
    consistency but not origin: the report says so). ``identity`` (from
    :func:`amparo.cases.parse_identity`) also decrypts and checks every evidence file.
    """
    problems: list[str] = []
    digests, docs, root = _read_members(path, problems)
    manifest = parse_manifest(docs.get(MANIFEST, b"").decode(errors="replace"))
    if manifest is None or MANIFEST not in docs:
        problems.append(f"{MANIFEST} is missing or malformed")
        manifest = {}
    for name, want in sorted(manifest.items()):
        if name not in digests:
            problems.append(f"{name} is missing (listed in {MANIFEST})")
        elif digests[name] != want:
            problems.append(f"{name} was changed (its SHA-256 is not the manifest's)")
    for name in sorted(set(digests) - set(manifest) - {MANIFEST, SEAL}):
        if manifest:
            problems.append(f"{name} was added (not in {MANIFEST})")
    case = _dict(_json(docs, "case.json", problems))
    for listed, digest in sorted(_dict(case.get("files")).items()):
        if listed not in digests:
            problems.append(f"{listed} is missing (listed in case.json)")
        elif digests[listed] != digest:
            problems.append(f"{listed} was changed (its SHA-256 is not the one case.json records)")
    timeline = _json(docs, "timeline.json", problems)
    custody = _json(docs, "custody.json", problems)
    key, from_archive = _key(vkey, docs, problems)
    checked: dict[int, CheckedProof] = {}
    if key is not None:
        checked = _proofs(docs, key, witness_vkeys, problems)
        export = [
            p
            for p in checked.values()
            if p.record.get("kind") == "case.export"
            and _dict(p.record.get("data")).get("export_id") == case.get("export_id")
        ]
        if not export:
            problems.append("no verified ledger proof of this export (case.export entry)")
        elif "case.json" in digests:
            recorded = _dict(export[0].record.get("data")).get("case_json_sha256")
            if recorded != digests["case.json"]:
                problems.append(
                    "case.json was changed (the ledger recorded another SHA-256 for this export)"
                )
        _check_seal(docs, key, witness_vkeys, case, problems)
        for entry in sorted(_named_entries(case, timeline, custody) - set(checked)):
            problems.append(f"no verified proof of ledger entry {entry} (named by the case)")
    decrypted = 0
    if identity is not None and root is not None:
        decrypted = _decrypt_all(path, root, case, identity, problems)
    sizes = {p.checkpoint.size for p in checked.values()}
    return VerifyReport(
        files=len(digests),
        proofs=len(checked),
        origin=key.name if key is not None else None,
        checkpoint_size=max(sizes) if sizes else None,
        key_from_archive=from_archive,
        evidence_decrypted=decrypted,
        problems=tuple(problems),
    )
