"""Previews: blurred and greyscale by default, revealed one at a time within the exposure
cap, a still frame always; only reviewers and admins; every reveal ledgered."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from amparo import review
from amparo.auth import Principal
from amparo.config import MediaLimits
from amparo.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnsupportedFormatError,
)
from amparo.media import synthetic
from amparo.runtime import Runtime
from reviewfactory import MemoryVault, animated_gif, ledger_kinds, queue_matched

ANA = Principal(1, "ana", "reviewer", kind="user")
AUDRA = Principal(2, "audra", "auditor", kind="user")
LIMITS = MediaLimits()


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_the_blurred_preview_is_grey_and_holds_no_detail() -> None:
    data = synthetic.encode(synthetic.make("checkerboard", 400, 300, seed=3), "PNG")
    blurred = _open(review.render_preview(data, LIMITS, blurred=True))
    clear = _open(review.render_preview(data, LIMITS, blurred=False))
    assert blurred.mode == "L" and clear.mode == "RGB"

    # Detail is what differs between neighbouring pixels: the blur leaves almost none.
    def detail(image: Image.Image) -> float:
        pixels = np.asarray(image.convert("L"), dtype=np.float32)
        return float(np.abs(np.diff(pixels, axis=1)).mean())

    assert detail(blurred) < detail(clear) / 10


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(["gradient", "checkerboard", "shapes", "text", "noise", "photo_like"]),
    width=st.integers(8, 900),
    height=st.integers(8, 900),
)
def test_previews_are_bounded_stills(kind: synthetic.Kind, width: int, height: int) -> None:
    data = synthetic.encode(synthetic.make(kind, width, height, seed=1), "PNG")
    for blurred in (True, False):
        image = _open(review.render_preview(data, LIMITS, blurred=blurred))
        assert max(image.size) <= review.PREVIEW_SIDE
        assert getattr(image, "n_frames", 1) == 1


def test_animated_media_gives_its_first_frame() -> None:
    image = _open(review.render_preview(animated_gif(4), LIMITS, blurred=False))
    assert getattr(image, "n_frames", 1) == 1
    assert image.getpixel((0, 0)) == (40, 90, 160)  # the first frame's colour


def test_undecodable_media_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedFormatError):
        review.render_preview(b"not an image at all", LIMITS, blurred=True)


def _claim(amparo: Runtime, item_id: int, who: Principal = ANA) -> None:
    with amparo.session() as s:
        review.claim_item(s, item_id, principal=who, claim_seconds=600)


def _reveal(
    amparo: Runtime, vault: MemoryVault, item_id: int, who: Principal = ANA, cap: int = 5
) -> bytes:
    with amparo.session() as s:
        return review.reveal_item(
            s,
            item_id,
            principal=who,
            source=vault,
            limits=LIMITS,
            exposure=review.ExposurePolicy(max_reveals=cap, shift_hours=8),
        )


def test_reveal_is_ledgered_and_read_with_a_reason(amparo: Runtime) -> None:
    vault = MemoryVault()
    q = queue_matched(amparo, vault)
    _claim(amparo, q.item_id)
    assert _open(_reveal(amparo, vault, q.item_id)).mode == "RGB"
    assert vault.reads == [(q.evidence_id, "user:ana", f"review item {q.item_id}: reveal")]
    assert "review.reveal" in ledger_kinds(amparo)


def test_reveal_by_a_non_reviewer(amparo: Runtime) -> None:
    vault = MemoryVault()
    q = queue_matched(amparo, vault)
    with pytest.raises(PermissionDeniedError, match="only reviewers and admins see media"):
        _reveal(amparo, vault, q.item_id, AUDRA)
    with amparo.session() as s, pytest.raises(PermissionDeniedError):
        review.blurred_preview(s, q.item_id, principal=AUDRA, source=vault, limits=LIMITS)
    assert not vault.reads


def test_reveal_without_a_claim(amparo: Runtime) -> None:
    vault = MemoryVault()
    q = queue_matched(amparo, vault)
    with pytest.raises(ConflictError, match="not claimed by you"):
        _reveal(amparo, vault, q.item_id)


def test_the_exposure_cap_counts_reveals_in_the_shift(amparo: Runtime) -> None:
    vault = MemoryVault()
    items = [queue_matched(amparo, vault, seed=i) for i in range(3)]
    for q in items:
        _claim(amparo, q.item_id)
    _reveal(amparo, vault, items[0].item_id, cap=2)
    _reveal(amparo, vault, items[1].item_id, cap=2)
    with pytest.raises(review.ExposureCapError) as caught:
        _reveal(amparo, vault, items[2].item_id, cap=2)
    assert caught.value.status_code == 403 and caught.value.code == "exposure_cap"
    with amparo.session() as s:
        assert review.reveals_left(s, ANA, review.ExposurePolicy(2, 8)) == 0
    assert ledger_kinds(amparo).count("review.reveal") == 2


def test_an_item_without_preserved_media(amparo: Runtime) -> None:
    vault = MemoryVault()
    with amparo.session() as s:
        item = review.enqueue_review(
            s, scan_id="s-1", queue="csam", priority=0, sla_seconds=60, rule="r", evidence_id=None
        )
    with amparo.session() as s, pytest.raises(NotFoundError, match="no preserved media"):
        review.blurred_preview(s, item.id, principal=ANA, source=vault, limits=LIMITS)
