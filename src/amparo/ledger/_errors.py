"""Errors of the ledger, part of the :mod:`amparo.errors` tree.

AmparoError
└── LedgerVerificationError (422, exit 3)   a proof, signature or the stored log failed
                                            a check; the message names what and where
"""

from __future__ import annotations

from amparo.errors import AmparoError

__all__ = ["LedgerVerificationError"]


class LedgerVerificationError(AmparoError):
    """Evidence of tampering or of a broken proof. Never caught to carry on: fail closed."""

    status_code = 422
    exit_code = 3
    code = "ledger_verification_failed"
