"""The evidence vault: what policy says to preserve (or quarantine), kept encrypted.

Each item is sealed with AES-256-GCM under its own random data key, bound to the item's id
and facts (so a swapped or edited blob fails instead of decrypting); the data key is wrapped
by a key-encryption key from a :class:`KeyProvider` (:class:`LocalKeyFile` by default; a
cloud KMS plugs in behind the same interface). Ciphertext is stored on local disk
(:class:`LocalBlobStore`, 0700/0600, atomic writes) or any ``fsspec`` URL
(:class:`FsspecBlobStore`, e.g. S3). Plaintext exists only in memory.

Items are kept ``retain_until`` (default one year: 18 U.S.C. 2258A(h)); legal holds block
deletion; :meth:`Vault.purge` destroys expired items. Every access — preserve, read (with
the reader's reason), metadata listing, hold, release, purge, export — is a typed ledger
event. Media leaves the vault only through :meth:`Vault.export_to`: an ``age`` file
encrypted to a recipient, for an authorised role with a reason.

The runtime builds the vault from settings (``runtime.vault``) and runs the purge job.
"""

from amparo.evidence._errors import EvidenceIntegrityError, EvidenceKeyError
from amparo.evidence._events import (
    EvidenceExported,
    EvidenceHoldPlaced,
    EvidenceHoldReleased,
    EvidenceListed,
    EvidencePreserved,
    EvidencePurged,
    EvidenceRead,
)
from amparo.evidence._export import EXPORT_FORMAT, MAX_EXPORT_BYTES, parse_recipient
from amparo.evidence._keys import KeyProvider, LocalKeyFile, write_key_file
from amparo.evidence._model import DEFAULT_RETENTION_DAYS, EvidenceItem, Hold
from amparo.evidence._storage import BlobStore, FsspecBlobStore, LocalBlobStore, open_store
from amparo.evidence._vault import EXPORT_ROLES, HOLD_ROLES, METADATA_ROLES, READ_ROLES, Vault

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "EXPORT_FORMAT",
    "EXPORT_ROLES",
    "HOLD_ROLES",
    "MAX_EXPORT_BYTES",
    "METADATA_ROLES",
    "READ_ROLES",
    "BlobStore",
    "EvidenceExported",
    "EvidenceHoldPlaced",
    "EvidenceHoldReleased",
    "EvidenceIntegrityError",
    "EvidenceItem",
    "EvidenceKeyError",
    "EvidenceListed",
    "EvidencePreserved",
    "EvidencePurged",
    "EvidenceRead",
    "FsspecBlobStore",
    "Hold",
    "KeyProvider",
    "LocalBlobStore",
    "LocalKeyFile",
    "Vault",
    "open_store",
    "parse_recipient",
    "write_key_file",
]
