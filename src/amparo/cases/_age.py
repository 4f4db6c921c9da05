"""age encryption for case packages, through ``pyrage`` (the recipient uses the ``age`` tool).

Recipients are X25519 (``age1…``) or SSH (``ssh-ed25519 …``, ``ssh-rsa …``) public keys,
several separated by commas. A malformed one is an :class:`InputError` naming it, before
anything is read or written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import pyrage
from pyrage import ssh, x25519

from amparo.errors import InputError

__all__ = ["Recipients", "decrypt", "parse_identity", "parse_recipients"]

_HINT = (
    "give the prosecutor's or hotline's age public key (age1..., from age-keygen -y) "
    "or SSH public key (ssh-ed25519 ...)"
)


class Recipients:
    """Parsed recipients, and the text they were parsed from (what the ledger records)."""

    def __init__(self, text: str, keys: Sequence[object]) -> None:
        self.text = text
        self._keys = list(keys)

    def encrypt_bytes(self, data: bytes) -> bytes:
        """``data`` encrypted in age's format, in memory (for files of modest size)."""
        try:
            out: bytes = pyrage.encrypt(data, self._keys)
        except pyrage.EncryptError as exc:
            raise InputError(f"cannot encrypt to {self.text}: {exc}", hint=_HINT) from None
        return out

    def encrypt(self, src: BinaryIO, dst: BinaryIO) -> None:
        """Encrypt ``src`` to ``dst`` in age's streaming format (64 KiB chunks)."""
        try:
            pyrage.encrypt_io(src, dst, self._keys)
        except pyrage.EncryptError as exc:
            raise InputError(f"cannot encrypt to {self.text}: {exc}", hint=_HINT) from None


def parse_recipients(text: str) -> Recipients:
    """Recipients from ``text`` (comma-separated), or :class:`InputError`."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or len(text) > 16_384:
        raise InputError("no age recipient given", hint=_HINT)
    keys: list[object] = []
    for part in parts:
        try:
            if part.startswith("age1"):
                keys.append(x25519.Recipient.from_str(part))
            elif part.startswith("ssh-"):
                keys.append(ssh.Recipient.from_str(part))
            else:
                raise pyrage.RecipientError("not an age1... or ssh-... public key")
        except pyrage.RecipientError as exc:
            shown = part if len(part) <= 80 else part[:77] + "..."
            raise InputError(f"{shown!r} is not an age recipient: {exc}", hint=_HINT) from None
    return Recipients(",".join(parts), keys)


def parse_identity(text: str) -> object:
    """An age X25519 identity (``AGE-SECRET-KEY-1…``) from an identity file's text."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return x25519.Identity.from_str(line)
            except pyrage.IdentityError as exc:
                raise InputError(f"the identity file holds a bad key: {exc}") from None
    raise InputError(
        "no AGE-SECRET-KEY-1... line in the identity file", hint="give a file from age-keygen"
    )


def decrypt(data: bytes, identity: object) -> bytes | None:
    """The plaintext, or None when ``identity`` cannot decrypt ``data``."""
    try:
        plain: bytes = pyrage.decrypt(data, [identity])
    except pyrage.DecryptError:
        return None
    return plain
