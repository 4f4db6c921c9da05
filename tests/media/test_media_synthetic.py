"""The benign synthetic image generators (amparo.media.synthetic, used by `amparo demo`)."""

from __future__ import annotations

import pytest

from amparo.config import MediaLimits
from amparo.signals import PDQ_MATCH_THRESHOLD, hash_media, pdq_distance
from imagefactory import KINDS, VARIANTS, encode, make, variant


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generators_are_deterministic_rgb_images(kind: str) -> None:
    first = make(kind, 160, 90, seed=4)  # type: ignore[arg-type]
    assert (first.mode, first.size) == ("RGB", (160, 90))
    assert first.tobytes() == make(kind, 160, 90, seed=4).tobytes()  # type: ignore[arg-type]
    assert first.tobytes() != make(kind, 160, 90, seed=5).tobytes()  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_still_match_by_pdq(name: str) -> None:
    """Every everyday edit keeps the copy findable (rotation/flip via dihedral hashes)."""
    limits = MediaLimits()
    original = make("photo_like", 640, 480, seed=8)
    known = hash_media(encode(original), limits).pdq
    edited = hash_media(encode(variant(original, name)), limits, dihedral=True)  # type: ignore[arg-type]
    assert known is not None and edited.pdq_dihedral is not None
    best = min(pdq_distance(known.hex, h) for h in edited.pdq_dihedral.values())
    assert best <= PDQ_MATCH_THRESHOLD
