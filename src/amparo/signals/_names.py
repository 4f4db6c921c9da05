"""Signal type names, their string forms, and PDQ distance.

Names follow ThreatExchange and HMA (``PdqSignal.get_name() == "pdq"``,
``VideoMD5Signal.get_name() == "video_md5"``) plus ``md5`` and ``sha256`` for the bytes of
any file. Values are lowercase hex, as ThreatExchange writes them. ThreatExchange is not
imported here (its PDQ package pulls in faiss); ``tests/signals`` checks that these names,
the validation and :data:`PDQ_MATCH_THRESHOLD` agree with it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from amparo.errors import InvalidSignalError

__all__ = [
    "PDQ_MATCH_THRESHOLD",
    "SIGNAL_TYPES",
    "SignalType",
    "normalize_signal",
    "pdq_distance",
]

PDQ_MATCH_THRESHOLD = 31
"""PDQ hashes at Hamming distance <= 31 are a match (ThreatExchange's confident threshold)."""

_HEX = frozenset(string.hexdigits)


@dataclass(frozen=True)
class SignalType:
    """A kind of hash: its name, the length of its hex form, and what it is a hash of."""

    name: str
    hex_length: int
    description: str


SIGNAL_TYPES: Mapping[str, SignalType] = MappingProxyType(
    {
        "pdq": SignalType("pdq", 64, "PDQ perceptual hash of a photo (256 bits)"),
        "md5": SignalType("md5", 32, "MD5 of a file's bytes"),
        "sha256": SignalType("sha256", 64, "SHA-256 of a file's bytes"),
        "video_md5": SignalType("video_md5", 32, "MD5 of a video file's bytes (HMA's name)"),
    }
)
"""The signal types Amparo knows, by name."""


def normalize_signal(signal_type: str, value: str) -> str:
    """The canonical form of a hash: surrounding whitespace removed, lowercase hex.

    Raises :class:`InvalidSignalError` for an unknown ``signal_type`` (listing the known
    ones) or a value of the wrong length or with non-hex characters, saying which.
    """
    kind = SIGNAL_TYPES.get(signal_type.strip().lower())
    if kind is None:
        known = ", ".join(SIGNAL_TYPES)
        raise InvalidSignalError(
            f"unknown signal type {signal_type!r}; known types are: {known}",
            hint="use one of the known signal type names",
        )
    text = value.strip()
    if len(text) != kind.hex_length:
        raise InvalidSignalError(
            f"invalid {kind.name} hash: expected {kind.hex_length} hex characters, got {len(text)}",
            hint=f"a {kind.name} hash is {kind.hex_length} characters of 0-9 and a-f",
        )
    bad = sorted({c for c in text if c not in _HEX})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        raise InvalidSignalError(
            f"invalid {kind.name} hash: only hex characters 0-9 and a-f are allowed, found {shown}",
            hint=f"a {kind.name} hash is {kind.hex_length} characters of 0-9 and a-f",
        )
    return text.lower()


def pdq_distance(a_hex: str, b_hex: str) -> int:
    """Hamming distance (0..256) between two PDQ hashes given as hex (any case, padded).

    Raises :class:`InvalidSignalError` if either is not a PDQ hash.
    """
    a = int(normalize_signal("pdq", a_hex), 16)
    b = int(normalize_signal("pdq", b_hex), 16)
    return (a ^ b).bit_count()
