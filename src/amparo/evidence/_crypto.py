"""Envelope encryption of one item: AES-256-GCM under a fresh data key, in memory only.

Each item gets its own random 256-bit data key and 96-bit nonce. The associated data binds
the ciphertext to the item's identity (id, digest, size, media type, source, scan), so a
blob copied over another item's, or a row whose facts were edited, fails the GCM tag
instead of decrypting. The data key itself is wrapped by a :class:`KeyProvider`, bound to
the item id in the same way. Nothing here touches a disk.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["CIPHER", "ItemBinding", "Sealed", "open_sealed", "seal"]

CIPHER = "A256GCM"
"""The cipher named in each item's row (a future format gets a new name)."""

_NONCE_BYTES = 12


@dataclass(frozen=True)
class ItemBinding:
    """The facts of an item that its ciphertext is bound to (GCM associated data)."""

    item_id: str
    sha256: str
    size: int
    media_type: str | None
    source: str
    scan_id: str | None

    def associated_data(self) -> bytes:
        facts = {
            "id": self.item_id,
            "media_type": self.media_type,
            "scan_id": self.scan_id,
            "sha256": self.sha256,
            "size": self.size,
            "source": self.source,
        }
        return b"amparo.evidence.item/v1\n" + json.dumps(facts, sort_keys=True).encode()

    def key_context(self) -> bytes:
        """What a wrapped data key is bound to: the item it belongs to."""
        return b"amparo.evidence.dek/v1\n" + self.item_id.encode()


@dataclass(frozen=True)
class Sealed:
    """An item encrypted: the data key (plaintext, for wrapping now), nonce and blob."""

    data_key: bytes
    nonce: bytes
    blob: bytes


def seal(data: bytes, binding: ItemBinding) -> Sealed:
    """Encrypt ``data`` under a new data key, bound to ``binding``."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    blob = AESGCM(data_key).encrypt(nonce, data, binding.associated_data())
    return Sealed(data_key, nonce, blob)


def open_sealed(data_key: bytes, nonce: bytes, blob: bytes, binding: ItemBinding) -> bytes | None:
    """The plaintext, or None when the tag fails (changed, swapped or mis-bound)."""
    try:
        return AESGCM(data_key).decrypt(nonce, blob, binding.associated_data())
    except (InvalidTag, ValueError):
        return None
