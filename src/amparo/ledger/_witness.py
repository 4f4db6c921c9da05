"""A C2SP tlog-witness: check and cosign checkpoints (``cosignature/v1``).

:func:`add_checkpoint` handles one ``add-checkpoint`` request body; its state (per log
origin, the size and root it last cosigned) lives in a :class:`amparo.store.WitnessStore`,
checked and updated in one locked transaction so concurrent requests can never roll it
back. Serving it over HTTP is the API layer's job (``amparo witness serve``).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._merkle import ProofError, verify_consistency
from amparo.ledger._note import NoteError, Signer, Verifier, open_note, split_note
from amparo.store import WitnessStore

__all__ = ["WitnessResult", "add_checkpoint"]

log = logging.getLogger(__name__)

_MAX_BODY = 64 * 1024
_MAX_PROOF = 63


@dataclass(frozen=True)
class WitnessResult:
    """An HTTP answer: status, body and content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _parse_body(body: bytes) -> tuple[int, list[bytes], str] | WitnessResult:
    bad = WitnessResult(400, "malformed add-checkpoint request\n")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return bad
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        return bad
    old_s = lines[0][4:]
    if not old_s.isdigit() or (old_s != "0" and old_s.startswith("0")):
        return bad
    if len(lines) - 1 > _MAX_PROOF:
        return bad
    try:
        proof = [base64.b64decode(ln, validate=True) for ln in lines[1:]]
    except binascii.Error:
        return bad
    if any(len(h) != 32 for h in proof):
        return bad
    return int(old_s), proof, note


def _refuse(
    old: int, proof: list[bytes], cp: Checkpoint, seen: tuple[int, bytes] | None
) -> WitnessResult | None:
    size, root = seen or (0, b"")
    if old != size or (seen is not None and old == cp.size and root != cp.root):
        return WitnessResult(409, f"{size}\n", "text/x.tlog.size")
    if old == 0 and proof:
        return WitnessResult(400, "a consistency proof from size 0 must be empty\n")
    if 0 < old < cp.size:
        try:
            verify_consistency(old, cp.size, proof, root, cp.root)
        except ProofError as exc:
            return WitnessResult(422, f"consistency proof from size {old} fails: {exc}\n")
    return None


def add_checkpoint(
    state: WitnessStore, signer: Signer, logs: Sequence[Verifier], body: bytes
) -> WitnessResult:
    """Handle one ``add-checkpoint`` request body as C2SP tlog-witness prescribes."""
    if len(body) > _MAX_BODY:
        return WitnessResult(400, "request too large\n")
    parsed = _parse_body(body)
    if isinstance(parsed, WitnessResult):
        return parsed
    old, proof, note = parsed
    try:
        split_note(note)
    except NoteError as exc:
        return WitnessResult(400, f"malformed checkpoint note: {exc}\n")
    origin = note.split("\n", 1)[0]
    keys = [k for k in logs if k.name == origin]
    if not keys:
        return WitnessResult(404, f"unknown log origin {origin!r}\n")
    try:
        text, _ = open_note(note, keys)
        cp = Checkpoint.parse(text)
    except NoteError as exc:
        return WitnessResult(403, f"checkpoint not signed by a known key of this log: {exc}\n")
    if cp.origin != origin:
        return WitnessResult(400, "malformed checkpoint\n")
    if old > cp.size:
        return WitnessResult(400, f"old size {old} exceeds checkpoint size {cp.size}\n")
    refusal: list[WitnessResult] = []

    def decide(seen: tuple[int, bytes] | None) -> tuple[int, bytes] | None:
        refused = _refuse(old, proof, cp, seen)
        if refused is not None:
            refusal.append(refused)
            return None  # nothing is written
        return cp.size, cp.root

    state.update(origin, decide)
    if refusal:
        # Kept in the log: a validly signed but inconsistent checkpoint is evidence.
        log.warning(
            "witness: refused %s (%d): %s%s", origin, refusal[0].status, refusal[0].body, note
        )
        return refusal[0]
    return WitnessResult(200, signer.signature_line(text, int(time.time())))
