"""Signals: the hashes Amparo matches on (PDQ and its 8 dihedral variants, MD5, SHA-256).

:data:`SIGNAL_TYPES` holds one :class:`SignalType` per kind of hash, with its parsing,
distance, quality rule and index; nothing else in Amparo checks a type's name.

    >>> signals = hash_media(data, MediaLimits())          # doctest: +SKIP
    >>> signals.pdq.hex, signals.pdq.quality, signals.md5   # doctest: +SKIP

Hashes are lowercase hex, in the form ThreatExchange and HMA use, so they can be exchanged
with them. PDQ is computed by ``pdqhash`` (Meta's C++ reference); ``fast=False`` reproduces
ThreatExchange's ``pdq_from_bytes`` exactly, the default fast path stays within a few bits
of it at a fraction of the cost. EXIF orientation is not applied (PDQ hashes stored pixels).

Don't store or match here: that is :mod:`amparo.banks` and :mod:`amparo.matching`.
"""

from amparo.signals._hash import hash_file, hash_media
from amparo.signals._hasher import Hasher
from amparo.signals._names import (
    DEFAULT_QUALITY_THRESHOLD,
    PDQ_MATCH_THRESHOLD,
    SIGNAL_TYPES,
    DigestType,
    PdqType,
    SignalType,
    normalize_signal,
    pdq_distance,
    signal_type,
)
from amparo.signals._pdq_kernel import DIHEDRAL_NAMES
from amparo.signals.base import DecodeError, PdqHash, Signals

__all__ = [
    "DEFAULT_QUALITY_THRESHOLD",
    "DIHEDRAL_NAMES",
    "PDQ_MATCH_THRESHOLD",
    "SIGNAL_TYPES",
    "DecodeError",
    "DigestType",
    "Hasher",
    "PdqHash",
    "PdqType",
    "SignalType",
    "Signals",
    "hash_file",
    "hash_media",
    "normalize_signal",
    "pdq_distance",
    "signal_type",
]
