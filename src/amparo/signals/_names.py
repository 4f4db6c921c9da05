"""Signal types with their behaviour, and the registry of every type Amparo knows.

A :class:`SignalType` brings everything that differs between kinds of hash: the form of its
values (parsing and normalisation), how two values compare (distance and the default match
threshold), its quality rule, and the in-memory index that searches it. Adding a type means
one subclass here (or in its own module) registered in :data:`SIGNAL_TYPES`, plus its tests;
nothing else checks a type's name.

Names follow ThreatExchange and HMA (``PdqSignal.get_name() == "pdq"``,
``VideoMD5Signal.get_name() == "video_md5"``) plus ``md5`` and ``sha256`` for the bytes of
any file. Values are lowercase hex, as ThreatExchange writes them. ThreatExchange is not
imported here (its PDQ package pulls in faiss); ``tests/signals`` checks that these names,
the validation and :data:`PDQ_MATCH_THRESHOLD` agree with it.
"""

from __future__ import annotations

import re
import string
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, final

import numpy as np
import numpy.typing as npt

from amparo.errors import InvalidSignalError
from amparo.matching import ExactIndex, PdqIndex, SignalIndex

__all__ = [
    "DEFAULT_QUALITY_THRESHOLD",
    "PDQ_MATCH_THRESHOLD",
    "SIGNAL_TYPES",
    "DigestType",
    "PdqType",
    "SignalType",
    "normalize_signal",
    "pdq_distance",
    "signal_type",
]

PDQ_MATCH_THRESHOLD = 31
"""PDQ hashes at Hamming distance <= 31 are a match (ThreatExchange's confident threshold)."""

DEFAULT_QUALITY_THRESHOLD = 50
"""PDQ hashes of quality under 50 are too unreliable to match on (ThreatExchange, HMA)."""

_HEX = frozenset(string.hexdigits)
_HEX_RUN = re.compile(r"[0-9a-fA-F]+")


class SignalType(ABC):
    """A kind of hash and how to handle its values.

    Public methods validate, then call the ``_``-prefixed hooks subclasses implement.
    """

    name: ClassVar[str]
    hex_length: ClassVar[int]
    description: ClassVar[str]
    distance_based: ClassVar[bool] = False
    """True when near values match (within a threshold), False when only equal ones do."""
    default_threshold: ClassVar[int] = 0
    """The largest distance that is a match unless a bank says otherwise."""

    @final
    def normalize(self, value: str) -> str:
        """The canonical form of a value: surrounding whitespace removed, lowercase hex.

        Raises :class:`InvalidSignalError` for a value of the wrong length or with non-hex
        characters, saying which.
        """
        if not isinstance(value, str):
            raise InvalidSignalError(
                f"invalid {self.name} hash: expected a string, got {type(value).__name__}",
                hint=self._hint,
            )
        text = value.strip()
        if len(text) == self.hex_length and _HEX_RUN.fullmatch(text):
            return text.lower()  # the common case; the checks below say what is wrong
        if len(text) != self.hex_length:
            raise InvalidSignalError(
                f"invalid {self.name} hash: expected {self.hex_length} hex characters, "
                f"got {len(text)}",
                hint=self._hint,
            )
        bad = sorted({c for c in text if c not in _HEX})
        if bad:
            shown = ", ".join(repr(c) for c in bad[:5])
            raise InvalidSignalError(
                f"invalid {self.name} hash: only hex characters 0-9 and a-f are allowed, "
                f"found {shown}",
                hint=self._hint,
            )
        return text.lower()

    @property
    def _hint(self) -> str:
        return f"a {self.name} hash is {self.hex_length} characters of 0-9 and a-f"

    @final
    def distance(self, a: str, b: str) -> int:
        """The distance between two values (normalised here); 0 means equal."""
        return self._distance(self.normalize(a), self.normalize(b))

    @final
    def matches(self, a: str, b: str, threshold: int | None = None) -> bool:
        """Whether ``a`` and ``b`` match within ``threshold`` (default: the type's)."""
        limit = self.default_threshold if threshold is None else threshold
        return self.distance(a, b) <= limit

    def low_quality(self, quality: int | None, threshold: int) -> bool:
        """Whether a value of this ``quality`` is too unreliable to match on. Types without
        a quality measure are never low quality."""
        return False

    @abstractmethod
    def _distance(self, a: str, b: str) -> int: ...

    @abstractmethod
    def new_index(self) -> SignalIndex:
        """An empty in-memory index for values of this type."""

    @abstractmethod
    def build_index(self, ids: npt.NDArray[np.int64], values: Sequence[str]) -> SignalIndex:
        """An index holding these (id, normalised value) pairs, built in bulk (full loads)."""


class PdqType(SignalType):
    """Meta's PDQ perceptual hash of a photo: 256 bits, Hamming distance, a quality 0..100."""

    name = "pdq"
    hex_length = 64
    description = "PDQ perceptual hash of a photo (256 bits)"
    distance_based = True
    default_threshold = PDQ_MATCH_THRESHOLD

    def _distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def low_quality(self, quality: int | None, threshold: int) -> bool:
        """PDQ's rule: under the quality threshold (featureless images hash alike)."""
        return quality is None or quality < threshold

    def new_index(self) -> SignalIndex:
        return PdqIndex()

    def build_index(self, ids: npt.NDArray[np.int64], values: Sequence[str]) -> SignalIndex:
        raw = np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32)
        return PdqIndex.from_arrays(ids, np.ascontiguousarray(raw))


class DigestType(SignalType):
    """A cryptographic digest of bytes: only equal values match."""

    def _distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def new_index(self) -> SignalIndex:
        return ExactIndex(self.hex_length // 2)

    def build_index(self, ids: npt.NDArray[np.int64], values: Sequence[str]) -> SignalIndex:
        width = self.hex_length // 2
        raw = np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, width)
        return ExactIndex.from_arrays(width, ids, raw)


class Md5Type(DigestType):
    name = "md5"
    hex_length = 32
    description = "MD5 of a file's bytes"


class Sha256Type(DigestType):
    name = "sha256"
    hex_length = 64
    description = "SHA-256 of a file's bytes"


class VideoMd5Type(DigestType):
    name = "video_md5"
    hex_length = 32
    description = "MD5 of a video file's bytes (HMA's name)"


SIGNAL_TYPES: Mapping[str, SignalType] = MappingProxyType(
    {
        t.name: t
        for t in (
            PdqType(),
            Md5Type(),
            Sha256Type(),
            VideoMd5Type(),
        )
    }
)
"""The signal types Amparo knows, by name."""


def signal_type(name: str) -> SignalType:
    """The type called ``name`` (case and surrounding space ignored), or
    :class:`InvalidSignalError` listing the known ones."""
    found = SIGNAL_TYPES.get(name.strip().lower()) if isinstance(name, str) else None
    if found is None:
        known = ", ".join(SIGNAL_TYPES)
        raise InvalidSignalError(
            f"unknown signal type {name!r}; known types are: {known}",
            hint="use one of the known signal type names",
        )
    return found


def normalize_signal(name: str, value: str) -> str:
    """``signal_type(name).normalize(value)``: the canonical lowercase hex of a hash."""
    return signal_type(name).normalize(value)


def pdq_distance(a_hex: str, b_hex: str) -> int:
    """Hamming distance (0..256) between two PDQ hashes given as hex (any case, padded)."""
    return SIGNAL_TYPES["pdq"].distance(a_hex, b_hex)
