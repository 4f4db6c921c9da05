"""The configured hasher: media limits and the PDQ quality threshold, bound once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal, overload

from amparo.config import MediaLimits
from amparo.media import DecodedImage
from amparo.signals._hash import hash_file, hash_media
from amparo.signals._names import DEFAULT_QUALITY_THRESHOLD
from amparo.signals.base import Signals

__all__ = ["Hasher"]


@dataclass(frozen=True)
class Hasher:
    """:func:`hash_media` and :func:`hash_file` with the operator's settings.

    The runtime builds one from the settings; every caller that hashes uses it, so the
    limits and the quality threshold (and so :attr:`PdqHash.low_quality`) are the same
    everywhere.
    """

    limits: MediaLimits = field(default_factory=MediaLimits)
    quality_threshold: int = DEFAULT_QUALITY_THRESHOLD

    @overload
    def hash(
        self,
        data: bytes,
        *,
        dihedral: bool = ...,
        fast: bool = ...,
        keep_pixels: Literal[False] = ...,
    ) -> Signals: ...
    @overload
    def hash(
        self, data: bytes, *, dihedral: bool = ..., fast: bool = ..., keep_pixels: Literal[True]
    ) -> tuple[Signals, DecodedImage | None]: ...
    def hash(
        self, data: bytes, *, dihedral: bool = False, fast: bool = True, keep_pixels: bool = False
    ) -> Signals | tuple[Signals, DecodedImage | None]:
        """:func:`hash_media` with these settings (``keep_pixels``: see there)."""
        if keep_pixels:
            return hash_media(
                data,
                self.limits,
                dihedral=dihedral,
                fast=fast,
                quality_threshold=self.quality_threshold,
                keep_pixels=True,
            )
        return hash_media(
            data,
            self.limits,
            dihedral=dihedral,
            fast=fast,
            quality_threshold=self.quality_threshold,
        )

    def hash_file(
        self, path: str | os.PathLike[str], *, dihedral: bool = False, fast: bool = True
    ) -> Signals:
        """:func:`hash_file` with these settings."""
        return hash_file(
            path,
            self.limits,
            dihedral=dihedral,
            fast=fast,
            quality_threshold=self.quality_threshold,
        )
