"""API keys and roles.

Keys are shown once at creation and stored only as a SHA-256 digest. Servers authenticate
from a :class:`Keyring` in memory, kept current from the change feed.

Roles: ``admin`` may do everything; ``curator`` manages banks and exchanges; ``scanner``
hashes, scans and matches; ``reviewer`` and ``auditor`` read what their work needs;
``investigator`` holds and exports evidence (``amparo.evidence``).
"""

from amparo.auth._events import KeyCreated, KeyRevoked
from amparo.auth._keys import (
    ROLES,
    KeyRecord,
    Keyring,
    Principal,
    create_key,
    key_records,
    list_keys,
    record_use,
    revoke_key,
)

__all__ = [
    "ROLES",
    "KeyCreated",
    "KeyRecord",
    "KeyRevoked",
    "Keyring",
    "Principal",
    "create_key",
    "key_records",
    "list_keys",
    "record_use",
    "revoke_key",
]
