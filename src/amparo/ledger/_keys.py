"""Log signing keys on disk.

Key rotation: a checkpoint origin is tied to one key. To rotate, generate a key for a new
origin (e.g. ``example.org/amparo/2027``), publish its vkey, and point the settings at it;
the old log stays verifiable with the old vkey. Never reuse an origin with a new key:
auditors would (rightly) report it as a replaced signing key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from amparo.errors import ConfigError
from amparo.ledger._note import NoteError, Signer, parse_signer

__all__ = ["DEV_ORIGIN", "load_signer", "write_signer"]

log = logging.getLogger(__name__)

DEV_ORIGIN = "amparo.localhost/ledger"


def write_signer(path: Path, signer: Signer) -> None:
    """Write ``signer`` to a new file readable only by its owner; never overwrite a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"{path} already exists", hint="keys are never overwritten; choose another path"
        ) from None
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey + "\n")


def load_signer(path: Path) -> Signer:
    """Read a key file written by :func:`write_signer` (or Go's ``note`` format)."""
    try:
        return parse_signer(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read the key file {path}: {exc.strerror}") from None
    except NoteError as exc:
        raise ConfigError(f"key file {path}: {exc}") from None
