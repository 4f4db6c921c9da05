"""The tamper-evident ledger: a Merkle-tree log of every detection and action.

Callers write entries with :func:`record` (and count scans with :func:`note_scan`) inside
their own transaction; :class:`Ledger` integrates committed entries into an RFC 9162 tree,
signs C2SP checkpoints, gathers witness cosignatures, serves tlog-tiles, and makes
offline-verifiable proof files. :func:`check_proof`, :func:`audit_remote` and
:func:`verify_local` check all of it and fail closed with :class:`LedgerVerificationError`.
"""

from amparo.errors import LedgerVerificationError
from amparo.ledger._audit import AuditReport, audit_remote
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._keys import ledger_from_settings, load_signer, write_signer
from amparo.ledger._ledger import Disclosure, Ledger, LedgerWorker
from amparo.ledger._merkle import ProofError, verify_consistency, verify_inclusion
from amparo.ledger._note import Signer, Verifier, generate_signer, parse_signer, parse_vkey
from amparo.ledger._proof import CheckedProof, check_proof
from amparo.ledger._record import MAX_RECORD_BYTES, note_scan, record, record_many
from amparo.ledger._verify import LocalReport, verify_local
from amparo.ledger._witness import WitnessState, create_witness_app
from amparo.ledger._witness_client import WitnessPeer

__all__ = [
    "MAX_RECORD_BYTES",
    "AuditReport",
    "CheckedProof",
    "Checkpoint",
    "Disclosure",
    "Ledger",
    "LedgerVerificationError",
    "LedgerWorker",
    "LocalReport",
    "ProofError",
    "Signer",
    "Verifier",
    "WitnessPeer",
    "WitnessState",
    "audit_remote",
    "check_proof",
    "create_witness_app",
    "generate_signer",
    "ledger_from_settings",
    "load_signer",
    "note_scan",
    "parse_signer",
    "parse_vkey",
    "record",
    "record_many",
    "verify_consistency",
    "verify_inclusion",
    "verify_local",
    "write_signer",
]
