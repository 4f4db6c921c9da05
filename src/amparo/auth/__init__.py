"""API keys and roles.

Keys are shown once at creation and stored only as a SHA-256 digest (a key carries 256 bits of
randomness, so a fast digest is enough; no password hashing needed). A key looks like
``amp_<prefix>_<secret>``: the prefix finds the row, the digest is compared in constant time.

Roles: ``admin`` may do everything; ``curator`` manages banks and exchanges; ``scanner`` hashes,
scans and matches; ``reviewer`` and ``auditor`` read what their work needs.
"""

from amparo.auth._keys import (
    ROLES,
    Principal,
    authenticate,
    create_key,
    list_keys,
    revoke_key,
)

__all__ = ["ROLES", "Principal", "authenticate", "create_key", "list_keys", "revoke_key"]
