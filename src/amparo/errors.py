"""The one error tree of Amparo.

Every error a user can cause or meet is an :class:`AmparoError`. The HTTP API turns it into
``{"error": code, "message": ..., "hint": ...}`` with :attr:`AmparoError.status_code`; the CLI
prints :meth:`AmparoError.diagnostics` and exits with :attr:`AmparoError.exit_code`. Both do
so in exactly one place (``api/_errors.py`` and ``cli/__init__.py``).

    AmparoError
    ├── InputError (400)               something the caller sent is wrong
    │   ├── MediaError                 bytes that are not a usable image
    │   │   ├── EmptyMediaError
    │   │   ├── UnsupportedFormatError (415)
    │   │   ├── CorruptMediaError
    │   │   └── MediaTooLargeError (413)  bytes or decoded pixels over the limits
    │   ├── InvalidSignalError         a malformed hash string or unknown signal type
    │   ├── InvalidJSONError           a body or line that is not JSON at all
    │   ├── ImportRowsError            a bulk import with bad rows (row numbers attached)
    │   └── UnsafeURLError             a URL Amparo refuses to fetch
    ├── FetchError (502)               a remote fetch failed
    ├── NotFoundError (404)
    ├── ConflictError (409)            e.g. a duplicate bank name
    ├── AuthenticationError (401)      no key or an unknown/revoked key
    ├── PermissionDeniedError (403)    the key's role may not do this
    ├── LedgerVerificationError (422, exit 3)  a proof, signature or the stored log failed a
    │                                  check; the message names what and where
    ├── UnavailableError (503)         not ready yet (the index is loading); retry shortly
    ├── NotConfiguredError (501)       a feature this server was not set up for (e.g. stamping)
    └── ConfigError                    settings that cannot work (refused at start)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AmparoError",
    "AuthenticationError",
    "BodyTooSlowError",
    "ConfigError",
    "ConflictError",
    "CorruptMediaError",
    "EmptyMediaError",
    "FetchError",
    "ImportRowsError",
    "InputError",
    "InvalidJSONError",
    "InvalidSignalError",
    "LedgerVerificationError",
    "MediaError",
    "MediaTooLargeError",
    "NotConfiguredError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnavailableError",
    "UnsafeURLError",
    "UnsupportedFormatError",
]


class AmparoError(Exception):
    """Base of every error Amparo raises on purpose.

    ``message`` says what was wrong; ``hint`` says what to do about it.
    """

    status_code: int = 500
    exit_code: int = 2
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """A person-readable explanation: the problem, then what to do."""
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body


class InputError(AmparoError):
    status_code = 400
    code = "invalid_input"


class MediaError(InputError):
    code = "invalid_media"


class EmptyMediaError(MediaError):
    code = "empty_media"


class UnsupportedFormatError(MediaError):
    status_code = 415
    code = "unsupported_format"


class CorruptMediaError(MediaError):
    code = "corrupt_media"


class MediaTooLargeError(MediaError):
    status_code = 413
    code = "media_too_large"


class InvalidSignalError(InputError):
    code = "invalid_signal"


class InvalidJSONError(InputError):
    """Text that should be JSON and does not parse (JSON that parses and breaks a rule of
    :mod:`amparo.inputs` is a plain :class:`InputError`)."""

    code = "invalid_json"


class UnsafeURLError(InputError):
    code = "unsafe_url"


class BodyTooSlowError(InputError):
    """A request body that stopped coming fast enough (see ``amparo.api``'s gate)."""

    status_code = 408
    code = "body_too_slow"


class ImportRowsError(InputError):
    """A bulk import found bad rows; ``rows`` holds (row number, reason) pairs."""

    code = "bad_rows"

    def __init__(self, rows: Sequence[tuple[int, str]], *, hint: str | None = None) -> None:
        shown = "; ".join(f"row {n}: {why}" for n, why in rows[:20])
        more = f" (and {len(rows) - 20} more)" if len(rows) > 20 else ""
        super().__init__(
            f"{len(rows)} bad row(s): {shown}{more}",
            hint=hint
            or "fix those rows, or import only the good rows with --skip-bad-rows "
            "(API: skip_bad_rows=true)",
        )
        self.rows = list(rows)

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["rows"] = [{"row": n, "reason": why} for n, why in self.rows]
        return body


class FetchError(AmparoError):
    status_code = 502
    code = "fetch_failed"


class NotFoundError(AmparoError):
    status_code = 404
    code = "not_found"


class ConflictError(AmparoError):
    status_code = 409
    code = "conflict"


class AuthenticationError(AmparoError):
    status_code = 401
    code = "unauthenticated"


class PermissionDeniedError(AmparoError):
    status_code = 403
    code = "forbidden"


class LedgerVerificationError(AmparoError):
    """Evidence of tampering or of a broken proof. Never caught to carry on: fail closed."""

    status_code = 422
    exit_code = 3
    code = "ledger_verification_failed"


class UnavailableError(AmparoError):
    status_code = 503
    code = "unavailable"


class NotConfiguredError(AmparoError):
    """A request for a feature this server was not set up to offer: the operator's to
    change, not the caller's mistake, and not the server failing."""

    status_code = 501
    code = "not_configured"


class ConfigError(AmparoError):
    status_code = 500
    code = "config_error"
