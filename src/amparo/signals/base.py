"""The values the signals package produces: :class:`PdqHash` and :class:`Signals`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amparo.errors import InvalidSignalError
from amparo.signals._names import DEFAULT_QUALITY_THRESHOLD, SIGNAL_TYPES, pdq_distance

__all__ = ["DEFAULT_QUALITY_THRESHOLD", "PdqHash", "Signals"]

_PDQ = SIGNAL_TYPES["pdq"]


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash: 64 lowercase hex characters (ThreatExchange's form) and its quality.

    ``quality`` (0..100) measures how much structure the image has; a featureless image
    (flat colour, soft gradient) gets a low quality and a hash that matches too easily.
    ``quality_threshold`` is the bar for :attr:`low_quality`; it is not part of equality.
    """

    hex: str
    quality: int
    quality_threshold: int = field(default=DEFAULT_QUALITY_THRESHOLD, compare=False)

    def __post_init__(self) -> None:
        if self.hex != _PDQ.normalize(self.hex):
            raise InvalidSignalError(
                f"invalid pdq hash: {self.hex!r} is not in canonical form",
                hint="pass normalize_signal('pdq', value)",
            )
        if not 0 <= self.quality <= 100:
            raise InvalidSignalError(
                f"invalid pdq quality {self.quality}: expected 0..100",
                hint="quality is the second value pdqhash returns",
            )

    @property
    def low_quality(self) -> bool:
        """True when ``quality`` is under ``quality_threshold``: don't match on this hash."""
        return _PDQ.low_quality(self.quality, self.quality_threshold)

    def distance(self, other: PdqHash | str) -> int:
        """Hamming distance to another PDQ hash (a :class:`PdqHash` or hex)."""
        return pdq_distance(self.hex, other.hex if isinstance(other, PdqHash) else other)

    def __str__(self) -> str:
        return self.hex


@dataclass(frozen=True)
class Signals:
    """Every signal of one image.

    ``md5`` and ``sha256`` are of the exact bytes received. ``pdq`` is ``None`` only when a
    side of the image is under 5 pixels (PDQ cannot hash it). ``pdq_dihedral`` maps each
    name in :data:`amparo.signals.DIHEDRAL_NAMES` to the hash the image would have after that
    rotation or flip ("original" is ``pdq.hex``); it is ``None`` unless asked for.
    ``width``, ``height`` and ``format`` are the stored image's, from its header.
    """

    md5: str
    sha256: str
    pdq: PdqHash | None
    pdq_dihedral: Mapping[str, str] | None
    width: int
    height: int
    format: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: hashes as lowercase hex, ``pdq`` as hash, quality, low_quality."""
        pdq: dict[str, Any] | None = None
        if self.pdq is not None:
            pdq = {
                "hash": self.pdq.hex,
                "quality": self.pdq.quality,
                "low_quality": self.pdq.low_quality,
            }
        return {
            "md5": self.md5,
            "sha256": self.sha256,
            "pdq": pdq,
            "pdq_dihedral": dict(self.pdq_dihedral) if self.pdq_dihedral is not None else None,
            "width": self.width,
            "height": self.height,
            "format": self.format,
        }
