"""Proof files for prosecutors: C2SP ``tlog-proof@v1`` with the disclosed record as ``extra``.

The ``extra`` line is base64 of JSON ``{"entry": seq, "record": "<canonical JSON>",
"salt": "<base64>"}``. It is not trusted: :func:`check_proof` recomputes the commitment from
record and salt, hashes it to the leaf, and checks the inclusion proof against a checkpoint
signed by the log key and, optionally, cosigned by given witnesses. Offline: no network.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass

from amparo.errors import LedgerVerificationError
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import ProofError, leaf_hash, verify_inclusion
from amparo.ledger._note import NoteError, Verifier, open_note
from amparo.ledger._record import commitment

__all__ = ["CheckedProof", "ProofFile", "check_proof"]

_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class ProofFile:
    """The parts of a proof file; :meth:`text` and :meth:`parse` are exact inverses."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes = b""

    def text(self) -> str:
        lines = [_HEADER]
        if self.extra:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.hashes)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note

    @classmethod
    def parse(cls, text: str) -> ProofFile:
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines or lines[0] != _HEADER:
            raise LedgerVerificationError(f"not a proof file: the first line must be {_HEADER}")
        pos, extra = 1, b""
        try:
            if pos < len(lines) and lines[pos].startswith("extra "):
                extra = base64.b64decode(lines[pos][6:], validate=True)
                pos += 1
            if pos >= len(lines) or not lines[pos].startswith("index "):
                raise LedgerVerificationError("proof file has no 'index' line")
            index_s = lines[pos][6:]
            if not index_s.isdigit() or (index_s != "0" and index_s.startswith("0")):
                raise LedgerVerificationError(f"proof file index {index_s!r} is not a decimal")
            hashes = tuple(base64.b64decode(h, validate=True) for h in lines[pos + 1 :])
        except binascii.Error:
            raise LedgerVerificationError("proof file holds a line that is not base64") from None
        return cls(int(index_s), hashes, note, extra)


@dataclass(frozen=True)
class CheckedProof:
    """What a verified proof establishes: entry ``entry_id`` at ``index`` holds ``record``."""

    index: int
    entry_id: int | None
    record: dict[str, object]
    record_text: str
    checkpoint: Checkpoint
    witnesses: tuple[str, ...]


def _disclosure(extra: bytes) -> tuple[int | None, str, bytes]:
    try:
        body = json.loads(extra)
        record_text = body["record"]
        salt = base64.b64decode(body["salt"], validate=True)
        entry = body.get("entry")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise LedgerVerificationError("proof file's disclosed record is malformed") from None
    if not isinstance(record_text, str) or not isinstance(entry, int | None):
        raise LedgerVerificationError("proof file's disclosed record is malformed")
    return entry, record_text, salt


def check_proof(
    text: str, log_key: Verifier, witness_keys: Sequence[Verifier] = ()
) -> CheckedProof:
    """Verify a proof file offline; return what it proves or raise
    :class:`LedgerVerificationError` naming the failed step.

    1. the file parses and carries a disclosed record;
    2. the checkpoint is signed by ``log_key`` and cosigned by every ``witness_keys`` entry;
    3. the checkpoint's origin is the log key's name;
    4. ``SHA-256(salt || record)`` hashed as a leaf is included at ``index`` under the root.
    """
    proof = ProofFile.parse(text)
    if not proof.extra:
        raise LedgerVerificationError("proof file discloses no record (no 'extra' line)")
    entry, record_text, salt = _disclosure(proof.extra)
    try:
        body, signed = open_note(proof.checkpoint_note, [log_key, *witness_keys])
    except NoteError as exc:
        raise LedgerVerificationError(f"checkpoint in the proof file: {exc}") from None
    if log_key.vkey not in signed:
        raise LedgerVerificationError(
            f"checkpoint is not signed by the log key {log_key.vkey}",
            hint="check that you were given the log's published verifier key",
        )
    missing = [w.vkey for w in witness_keys if w.vkey not in signed]
    if missing:
        raise LedgerVerificationError(f"checkpoint lacks a cosignature from {', '.join(missing)}")
    try:
        checkpoint = Checkpoint.parse(body)
    except NoteError as exc:
        raise LedgerVerificationError(f"checkpoint in the proof file: {exc}") from None
    if checkpoint.origin != log_key.name:
        raise LedgerVerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not the log key's name {log_key.name!r}"
        )
    leaf = leaf_hash(commitment(salt, record_text.encode()))
    try:
        verify_inclusion(proof.index, checkpoint.size, leaf, proof.hashes, checkpoint.root)
    except ProofError as exc:
        raise LedgerVerificationError(
            f"entry at index {proof.index} is not in the checkpointed tree of size "
            f"{checkpoint.size}: {exc} (the record, salt, index or proof was altered)"
        ) from None
    record = json.loads(record_text)
    witnesses = tuple(w.vkey for w in witness_keys)
    return CheckedProof(proof.index, entry, record, record_text, checkpoint, witnesses)
