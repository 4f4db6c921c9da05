"""Key-encryption keys: the :class:`KeyProvider` interface and its local key file.

A provider wraps each item's data key under a key-encryption key (KEK) it holds and
unwraps it again, naming that KEK by a ``key_id`` stored with every item. The vault only
ever calls :meth:`KeyProvider.wrap` and :meth:`KeyProvider.unwrap`, so a cloud KMS plugs in
behind the same three members:

- ``key_id``: the KEK's name, e.g. the KMS key ARN (``arn:aws:kms:...:key/...``), a Google
  Cloud KMS ``projects/.../cryptoKeys/...`` path, or an Azure Key Vault key URL.
- ``wrap(data_key, context=...)``: the KMS's Encrypt call (AWS ``Encrypt`` with
  ``EncryptionContext`` from ``context``; GCP ``encrypt`` with ``additional_authenticated_data``).
- ``unwrap(wrapped, key_id=..., context=...)``: its Decrypt call; raise
  :class:`EvidenceKeyError` naming ``key_id`` when the KMS refuses or the key is gone, and
  return None when the wrapped key fails its authentication (tampered).

The KEK never leaves the provider; a data key exists in memory only while one item is
sealed or opened.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from amparo.errors import ConflictError
from amparo.evidence._errors import EvidenceKeyError

__all__ = ["KeyProvider", "LocalKeyFile", "write_key_file"]

log = logging.getLogger(__name__)

_HEADER = "AMPARO-EVIDENCE-KEK-1:"
_NONCE = 12


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a key-encryption key named ``key_id``."""

    @property
    def key_id(self) -> str:
        """The name of the KEK that :meth:`wrap` uses now (stored with each item)."""
        ...

    def wrap(self, data_key: bytes, *, context: bytes) -> bytes:
        """``data_key`` encrypted under the current KEK, authenticated with ``context``."""
        ...

    def unwrap(self, wrapped: bytes, *, key_id: str, context: bytes) -> bytes | None:
        """The data key wrapped under KEK ``key_id``; None when it fails its check.

        Raise :class:`EvidenceKeyError` naming ``key_id`` when that KEK is not available.
        """
        ...


def _key_id(kek: bytes) -> str:
    return "local:" + hashlib.sha256(b"amparo evidence kek id\n" + kek).hexdigest()[:16]


def write_key_file(path: Path) -> str:
    """Create a new KEK file at ``path`` (mode 0600; never over an existing file); return
    its key id. Keep a copy somewhere safe: evidence cannot be opened without it."""
    kek = secrets.token_bytes(32)
    text = f"{_HEADER}{base64.urlsafe_b64encode(kek).decode()}\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(
            f"{path} already exists; a key file is never overwritten",
            hint="choose another --out path (losing a key makes its evidence unreadable)",
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return _key_id(kek)


class LocalKeyFile:
    """A KEK in a local file (``amparo evidence keygen``), read once, on first use.

    ``create``: make the file (0600) if it is missing — the development default in the data
    directory. Otherwise a missing file is an :class:`EvidenceKeyError` at first use, so a
    server without evidence work still starts.
    """

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        self._create = create
        self._lock = threading.Lock()
        self._kek: bytes | None = None
        self._id = ""

    def _load(self) -> tuple[bytes, str]:
        with self._lock:
            if self._kek is None:
                if self._create and not self.path.exists():
                    key_id = write_key_file(self.path)
                    log.warning(
                        "evidence: generated a key-encryption key %s at %s", key_id, self.path
                    )
                self._kek = self._read()
                self._id = _key_id(self._kek)
            return self._kek, self._id

    def _read(self) -> bytes:
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise EvidenceKeyError(
                f"the evidence key-encryption key file {self.path} does not exist",
                hint="restore it from your backup, or create one with `amparo evidence keygen "
                "--out FILE` and set AMPARO_EVIDENCE_KEY_FILE (new evidence only: items "
                "wrapped with a lost key cannot be opened)",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise EvidenceKeyError(
                f"cannot read the evidence key file {self.path}: {exc}",
                hint="check the file and its permissions (AMPARO_EVIDENCE_KEY_FILE)",
            ) from None
        try:
            if not text.startswith(_HEADER):
                raise ValueError("no header")
            kek = base64.urlsafe_b64decode(text.removeprefix(_HEADER))
            if len(kek) != 32:
                raise ValueError("not 32 bytes")
        except ValueError:
            raise EvidenceKeyError(
                f"{self.path} is not an evidence key file",
                hint="point AMPARO_EVIDENCE_KEY_FILE at a file made by `amparo evidence keygen`",
            ) from None
        if os.name == "posix" and self.path.stat().st_mode & 0o077:
            log.warning("evidence key file %s is readable by others; chmod 600 it", self.path)
        return kek

    @property
    def key_id(self) -> str:
        return self._load()[1]

    def wrap(self, data_key: bytes, *, context: bytes) -> bytes:
        kek, _ = self._load()
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(kek).encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, *, key_id: str, context: bytes) -> bytes | None:
        kek, current = self._load()
        if key_id != current:
            raise EvidenceKeyError(
                f"this evidence was wrapped with key-encryption key {key_id}, but the "
                f"configured key ({self.path}) is {current}",
                hint=f"set AMPARO_EVIDENCE_KEY_FILE to the key file of {key_id} "
                "(`amparo evidence keygen` prints a key's id when it makes it)",
            )
        try:
            return AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)
        except (InvalidTag, ValueError):
            return None
