"""Encryption of exchange credentials at rest (Fernet, keyed by ``AMPARO_SECRET_KEY``).

Credentials are stored only as a Fernet token of their JSON. The key comes from
``AMPARO_SECRET_KEY``; several keys may be given separated by commas while rotating: the
first encrypts, all decrypt, and each fetch re-encrypts with the first. In dev, when no key is
set, one is generated once into ``<data_dir>/secret.key`` (mode 0600); in prod a missing key
is refused. Don't log, print or return decrypted credentials: they go only to the exchange
client.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from amparo.errors import ConfigError

__all__ = ["SECRET_KEY_FILE", "CredentialBox"]

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret.key"
_KEY_HINT = "set AMPARO_SECRET_KEY to a Fernet key; `amparo keys secret` prints a new one"


class CredentialBox:
    """Encrypts and decrypts credential mappings with the configured secret key(s)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("no secret key given", hint=_KEY_HINT)
        fernets: list[Fernet] = []
        for n, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"secret key #{n} is not a valid Fernet key (32 url-safe base64 bytes)",
                    hint=_KEY_HINT,
                ) from exc
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_secret(cls, secret: str) -> CredentialBox:
        """The box for ``AMPARO_SECRET_KEY``'s form: ``NEW[,OLD...]`` Fernet keys."""
        return cls([k.strip().encode() for k in secret.split(",") if k.strip()])

    def encrypt(self, fields: Mapping[str, str]) -> bytes:
        """A Fernet token of ``fields`` as JSON."""
        return self._fernet.encrypt(json.dumps(dict(fields), sort_keys=True).encode())

    def decrypt(self, token: bytes, *, exchange: str) -> dict[str, str]:
        """The fields stored in ``token``; :class:`ConfigError` if no key opens it."""
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ConfigError(
                f"the stored credentials of exchange {exchange!r} cannot be decrypted with "
                "the current secret key",
                hint="set AMPARO_SECRET_KEY to the key in use when they were stored (give "
                "NEW,OLD while rotating), or store them again: "
                f"amparo exchange update {exchange} --credentials",
            ) from exc
        return {str(k): str(v) for k, v in data.items()}

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted with the first key."""
        return self._fernet.rotate(token)


def dev_key(path: Path) -> bytes:
    """Read the dev key file, creating it (0600, never overwritten) when missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            log.warning("%s is readable by other users; chmod 600 it", path)
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    log.warning(
        "generated a secret key for exchange credentials at %s (dev only; set "
        "AMPARO_SECRET_KEY in prod and keep a copy: credentials cannot be read without it)",
        path,
    )
    return key
