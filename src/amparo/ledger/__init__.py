"""The tamper-evident ledger: a Merkle-tree log of every detection and action.

Callers hand typed :class:`~amparo.events.Event` s to :func:`append` (and scan counts to
:func:`count_scans`) inside their own transaction; :class:`Ledger` integrates committed
entries into an RFC 9162 tree, signs C2SP checkpoints, gathers witness cosignatures, serves
tlog-tiles, and makes offline-verifiable proof files. :func:`check_proof`,
:func:`audit_remote` and :func:`verify_local` check all of it and fail closed with
:class:`LedgerVerificationError`. :func:`add_checkpoint` is the witness side.
"""

from amparo.errors import LedgerVerificationError
from amparo.ledger._audit import AuditReport, audit_remote
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._events import ScanTally
from amparo.ledger._keys import DEV_ORIGIN, load_signer, write_signer
from amparo.ledger._ledger import Disclosure, Ledger, entries_of_kinds
from amparo.ledger._merkle import ProofError, verify_consistency, verify_inclusion
from amparo.ledger._note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Signer,
    Verifier,
    generate_signer,
    parse_signer,
    parse_vkey,
)
from amparo.ledger._proof import CheckedProof, check_proof
from amparo.ledger._record import MAX_RECORD_BYTES, append, canonical_record, count_scans
from amparo.ledger._tiles import TileKey, parse_tile_path
from amparo.ledger._verify import LocalReport, verify_local
from amparo.ledger._witness import WitnessResult, add_checkpoint
from amparo.ledger._witness_client import WitnessPeer

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "DEV_ORIGIN",
    "MAX_RECORD_BYTES",
    "AuditReport",
    "CheckedProof",
    "Checkpoint",
    "Disclosure",
    "Ledger",
    "LedgerVerificationError",
    "LocalReport",
    "ProofError",
    "ScanTally",
    "Signer",
    "TileKey",
    "Verifier",
    "WitnessPeer",
    "WitnessResult",
    "add_checkpoint",
    "append",
    "audit_remote",
    "canonical_record",
    "check_proof",
    "count_scans",
    "entries_of_kinds",
    "generate_signer",
    "load_signer",
    "parse_signer",
    "parse_tile_path",
    "parse_vkey",
    "verify_consistency",
    "verify_inclusion",
    "verify_local",
    "write_signer",
]
