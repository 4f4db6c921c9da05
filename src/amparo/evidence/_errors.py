"""The vault's errors: two members of :mod:`amparo.errors`' tree that only it raises.

    AmparoError
    ├── EvidenceKeyError (503, exit 2)        the key-encryption key is missing or not the
    │                                         one an item was wrapped with (names its key id)
    └── EvidenceIntegrityError (422, exit 3)  a blob or a row failed its authentication check:
                                              tampered, swapped or lost; nothing is returned

Both fail closed: no plaintext is ever returned after either.
"""

from __future__ import annotations

from amparo.errors import AmparoError

__all__ = ["EvidenceIntegrityError", "EvidenceKeyError"]


class EvidenceKeyError(AmparoError):
    """The vault cannot get at a key-encryption key: the key file is missing or unreadable,
    or an item was wrapped with another key than the one configured. An operator's problem,
    not the caller's: the server cannot open that evidence until the right key is back."""

    status_code = 503
    code = "evidence_key_unavailable"


class EvidenceIntegrityError(AmparoError):
    """Stored evidence failed its check (AES-GCM tag, digest, or a missing blob): it was
    changed, swapped with another item's, or lost. Never caught to carry on."""

    status_code = 422
    exit_code = 3
    code = "evidence_integrity_failed"
