"""C2SP signed notes with Ed25519 (type 0x01) and Ed25519 cosignatures (``cosignature/v1``, 0x04).

Key formats follow the Go ``note`` package and C2SP ``signed-note``:

- verifier key (vkey): ``<name>+<hex key ID>+<base64(type || public key)>``
- signer key file:     ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte seed)>``

with key ID = ``SHA-256(name || "\\n" || type || public key)[:4]``. A note is text ending in a
newline, a blank line, then lines ``— <name> <base64(key ID || signature)>``. Cosignatures sign
``"cosignature/v1\\ntime <t>\\n" || text`` and carry an 8-byte big-endian timestamp before the
signature. Don't treat a note as verified unless :func:`open_note` returned it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "NoteError",
    "Signer",
    "Verifier",
    "generate_signer",
    "open_note",
    "parse_signer",
    "parse_vkey",
    "sign_note",
    "split_note",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
_DASH = "\u2014 "
_MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or signature is malformed or does not verify; the message says which."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"key name {name!r} must be non-empty without spaces or '+'")


def _key_id(name: str, alg: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A public key that checks note signatures (``alg`` 0x01) or cosignatures (0x04)."""

    name: str
    key_id: bytes
    alg: int
    public: bytes

    @property
    def vkey(self) -> str:
        blob = base64.b64encode(bytes([self.alg]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def verify(self, text: str, sig: bytes) -> int | None:
        """Check ``sig`` (without the key ID) over ``text``; return the cosignature time or None.

        Raises :class:`NoteError` when the signature is invalid.
        """
        key = Ed25519PublicKey.from_public_bytes(self.public)
        timestamp: int | None = None
        message = text.encode()
        if self.alg == ALG_COSIGNATURE_V1:
            if len(sig) != 72:
                raise NoteError(f"cosignature by {self.name} has {len(sig)} bytes, not 72")
            (timestamp,) = struct.unpack(">Q", sig[:8])
            message = f"cosignature/v1\ntime {timestamp}\n".encode() + message
            sig = sig[8:]
        try:
            key.verify(sig, message)
        except InvalidSignature:
            raise NoteError(f"signature by {self.name} ({self.key_id.hex()}) is invalid") from None
        return timestamp


@dataclass(frozen=True)
class Signer:
    """A private key that signs notes (``alg`` 0x01) or cosigns checkpoints (0x04)."""

    name: str
    alg: int
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = _raw_public(Ed25519PrivateKey.from_private_bytes(self.seed).public_key())
        return Verifier(self.name, _key_id(self.name, self.alg, public), self.alg, public)

    @property
    def skey(self) -> str:
        v = self.verifier
        blob = base64.b64encode(bytes([self.alg]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{v.key_id.hex()}+{blob}"

    def signature_line(self, text: str, timestamp: int | None = None) -> str:
        """The ``— name base64`` line for ``text`` (a cosignature needs ``timestamp``)."""
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        if self.alg == ALG_COSIGNATURE_V1:
            if timestamp is None or not 0 <= timestamp < 2**63:
                raise NoteError("a cosignature needs a timestamp in [0, 2**63)")
            msg = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
            sig = struct.pack(">Q", timestamp) + key.sign(msg)
        else:
            sig = key.sign(text.encode())
        blob = base64.b64encode(self.verifier.key_id + sig).decode()
        return f"{_DASH}{self.name} {blob}\n"


def generate_signer(name: str, alg: int = ALG_ED25519) -> Signer:
    """A fresh key for ``name`` (the log's origin, or a witness name with ``alg`` 0x04)."""
    _check_name(name)
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    return Signer(name, alg, seed)


def _decode_key(blob: str, what: str) -> tuple[int, bytes]:
    try:
        raw = base64.b64decode(blob, validate=True)
    except binascii.Error:
        raise NoteError(f"{what} key material is not base64") from None
    if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteError(f"{what} is not an Ed25519 key (type 0x01 or 0x04, 32 bytes)")
    return raw[0], raw[1:]


def parse_vkey(vkey: str) -> Verifier:
    """Parse ``name+hexid+base64`` and check that the key ID matches the key."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or len(parts[1]) != 8:
        raise NoteError(f"verifier key {vkey!r} is not of the form name+keyid+base64key")
    name, hex_id, blob = parts
    _check_name(name)
    alg, public = _decode_key(blob, "verifier")
    if _key_id(name, alg, public).hex() != hex_id.lower():
        raise NoteError(f"verifier key for {name}: key ID {hex_id} does not match the key")
    return Verifier(name, bytes.fromhex(hex_id), alg, public)


def parse_signer(skey: str) -> Signer:
    """Parse ``PRIVATE+KEY+name+hexid+base64`` and check that the key ID matches."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("signing key is not of the form PRIVATE+KEY+name+keyid+base64key")
    name, hex_id, blob = parts[2:]
    _check_name(name)
    alg, seed = _decode_key(blob, "signing")
    signer = Signer(name, alg, seed)
    if signer.verifier.key_id.hex() != hex_id.lower():
        raise NoteError(f"signing key for {name}: key ID {hex_id} does not match the key")
    return signer


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """``text`` (newline-terminated) followed by a blank line and one signature per signer."""
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end in one newline and hold no blank lines")
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a note into its text and ``(name, key ID, signature)`` triples, unverified."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("malformed note: control characters in the text")
    sigs: list[tuple[str, bytes, bytes]] = []
    for line in block.splitlines():
        if not line.startswith(_DASH):
            raise NoteError(f"malformed signature line {line[:40]!r}")
        name, _, blob = line[len(_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            raise NoteError(f"signature by {name} is not base64") from None
        if len(raw) < 5:
            raise NoteError(f"signature by {name} is too short")
        sigs.append((name, raw[:4], raw[4:]))
    if not sigs or len(sigs) > _MAX_SIGNATURES:
        raise NoteError(f"a note needs 1 to {_MAX_SIGNATURES} signatures, it has {len(sigs)}")
    return text, sigs


def open_note(note: str, verifiers: Sequence[Verifier]) -> tuple[str, dict[str, int | None]]:
    """Verify ``note``; return its text and ``{vkey: cosignature time or None}`` for each
    verifier whose signature is present and valid.

    Signatures from unknown keys are ignored; a known key with a bad signature raises
    :class:`NoteError`; so does a note that no given verifier signed.
    """
    text, sigs = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int | None] = {}
    for name, key_id, sig in sigs:
        v = known.get((name, key_id))
        if v is not None:
            verified[v.vkey] = v.verify(text, sig)
    if not verified:
        names = ", ".join(sorted({v.vkey for v in verifiers})) or "none given"
        raise NoteError(f"no valid signature from any trusted key ({names})")
    return text, verified
