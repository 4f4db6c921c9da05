"""PDQ hash parsing for the indexes: 64 hex characters <-> four little-endian uint64 words.

The indexes keep every hash as a row of four ``uint64`` words (the 32 hash bytes read as
little-endian words). The word order and bit order do not matter for Hamming distance as long
as queries and stored hashes are read the same way, which this module guarantees.

Don't pass anything but a 64-character hex string (either case) or a ``(n, 32)`` ``uint8``
array here: every other shape is refused with :class:`~amparo.errors.InvalidSignalError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from amparo.errors import InvalidSignalError

__all__ = ["PDQ_BITS", "PDQ_HEX_LENGTH", "WORDS_DTYPE", "parse_pdq_hex", "parse_pdq_many"]

PDQ_BITS = 256
PDQ_HEX_LENGTH = 64
WORDS_DTYPE = np.dtype("<u8")
_HINT = "send a PDQ hash as 64 hexadecimal characters (256 bits), e.g. 'f8f8...'"

Words = npt.NDArray[np.uint64]


def _bad(value: object, why: str) -> InvalidSignalError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InvalidSignalError(f"malformed PDQ hash {shown}: {why}", hint=_HINT)


def parse_pdq_hex(value: str) -> Words:
    """One PDQ hex string -> a ``(4,)`` array of little-endian ``uint64`` words.

    Raises :class:`InvalidSignalError` for anything that is not exactly 64 hex characters.
    """
    if not isinstance(value, str):
        raise _bad(value, f"expected a string, got {type(value).__name__}")
    if len(value) != PDQ_HEX_LENGTH or not value.isascii():
        raise _bad(value, f"expected {PDQ_HEX_LENGTH} hex characters, got {len(value)}")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise _bad(value, "it contains characters that are not hexadecimal") from None
    if len(raw) != PDQ_BITS // 8:  # bytes.fromhex skips spaces
        raise _bad(value, "it contains characters that are not hexadecimal")
    return np.frombuffer(raw, dtype=WORDS_DTYPE)


def parse_pdq_many(values: Sequence[str] | npt.NDArray[np.generic]) -> Words:
    """Many PDQ hashes -> a new ``(n, 4)`` array of little-endian ``uint64`` words.

    ``values`` is a sequence of 64-character hex strings, or a ``(n, 32)`` ``uint8`` array of
    hash bytes (copied, so the caller may reuse it).
    """
    if isinstance(values, np.ndarray):
        if values.dtype != np.uint8 or values.ndim != 2 or values.shape[1] != PDQ_BITS // 8:
            raise InvalidSignalError(
                f"PDQ hash array must be (n, 32) uint8, got {values.shape} {values.dtype}",
                hint="pass hex strings, or the raw 32 hash bytes per row as uint8",
            )
        return np.ascontiguousarray(values).copy().view(WORDS_DTYPE)
    if isinstance(values, str | bytes):
        raise _bad(values, "expected a sequence of hashes, got a single value")
    items = list(values)
    if not items:
        return np.empty((0, 4), dtype=WORDS_DTYPE)
    joined = ""
    try:
        joined = "".join(items)
        raw = bytes.fromhex(joined) if joined.isascii() else b""
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != len(items) * (PDQ_BITS // 8) or len(joined) != len(items) * PDQ_HEX_LENGTH:
        for item in items:  # find the culprit for a precise message
            parse_pdq_hex(item)
        raise _bad(values, "the hashes are not all 64 hex characters")
    return np.frombuffer(raw, dtype=WORDS_DTYPE).reshape(len(items), 4).copy()
