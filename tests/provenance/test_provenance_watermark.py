"""SD ``dwtDct`` watermarks, embedded with the transcribed reference encoder."""

from __future__ import annotations

import numpy as np
import pytest
from provenance_factories import (
    SDXL_BITS,
    bytes_bits,
    diffusers_sdxl_watermark,
    encode,
    photo_like,
    sd_script_watermark,
)

from amparo.provenance import ProvenanceOptions, analyze
from amparo.provenance._watermark import embed, read_watermarks


def textured(height: int = 384, width: int = 448) -> np.ndarray:
    """Benign stripes in all channels: the reference encoder needs texture to hold a mark
    (on smooth images its marks are unreadable even to the reference decoder)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = [
        128 + 100 * np.sin(xs / 3.0),
        128 + 100 * np.sin(ys / 5.0),
        128 + 100 * np.sin((xs + ys) / 7.0),
    ]
    return np.stack(channels, -1).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("bits", "message", "generator"),
    [
        (bytes_bits(b"StableDiffusionV1"), "StableDiffusionV1", "Stable Diffusion 1.x"),
        (bytes_bits(b"SDV2"), "SDV2", "Stable Diffusion 2.x"),
        (SDXL_BITS, "SDXL", "Stable Diffusion XL"),
    ],
)
def test_reference_marks_are_found(bits: list[int], message: str, generator: str) -> None:
    report = analyze(encode(sd_script_watermark(textured(), bits), "PNG"))
    assert report.verdict == "likely_ai"
    (item,) = [e for e in report.evidence if e.type == "watermark"]
    assert (item.generator, item.attributes["message"]) == (generator, message)
    assert item.score is not None and item.score >= 0.9
    assert "bits agree" in item.detail


def test_diffusers_sdxl_float_rgb_mark_is_found() -> None:
    report = analyze(encode(diffusers_sdxl_watermark(textured()), "PNG"))
    (item,) = [e for e in report.evidence if e.type == "watermark"]
    assert (item.generator, item.attributes["reading"]) == ("Stable Diffusion XL", "float_rgb")


def test_webp_lossless_is_checked() -> None:
    marked = sd_script_watermark(textured(), bytes_bits(b"SDV2"))
    assert analyze(encode(marked, "WEBP", lossless=True)).verdict == "likely_ai"


def test_jpeg_is_skipped_by_default_and_checkable_on_request() -> None:
    marked = encode(sd_script_watermark(textured(), bytes_bits(b"SDV2")), "JPEG", quality=100)
    report = analyze(marked)
    assert report.verdict == "no_ai_signal"
    assert [e.problem for e in report.evidence if e.type == "watermark"] == ["skipped_format"]
    opted = analyze(marked, options=ProvenanceOptions(watermark_formats=frozenset({"jpeg"})))
    (item,) = [e for e in opted.evidence if e.type == "watermark"]
    assert item.problem is None and item.score is not None


@pytest.mark.parametrize("seed", range(4))
def test_unmarked_images_have_no_watermark(seed: int) -> None:
    for pixels in (photo_like(384, 320, seed=seed), textured()):
        report = analyze(encode(pixels, "PNG"))
        (item,) = [e for e in report.evidence if e.type == "watermark"]
        assert item.indicates == "none" and item.score is not None and item.score < 0.9


def test_flat_image_is_not_a_watermark() -> None:
    flat = np.full((300, 300, 3), 77, dtype=np.uint8)
    assert all(m.agreement < 0.9 for m in read_watermarks(flat))


def test_small_images_are_not_checked() -> None:
    report = analyze(encode(photo_like(200, 200), "PNG"))
    assert [e.problem for e in report.evidence if e.type == "watermark"] == ["too_small"]


def test_amparo_embed_is_read_on_smooth_images() -> None:
    smooth = photo_like(512, 384, seed=7)
    best = read_watermarks(embed(smooth, "AmparoAI"))[0]
    assert best.message == "AmparoAI" and best.agreement == 1.0
    assert np.abs(embed(smooth).astype(int) - smooth).mean() < 2.0


def test_watermark_check_can_be_switched_off() -> None:
    marked = encode(sd_script_watermark(textured(), bytes_bits(b"SDV2")), "PNG")
    report = analyze(marked, options=ProvenanceOptions(watermark_check=False))
    assert report.verdict == "no_ai_signal"
    assert not [e for e in report.evidence if e.type == "watermark"]
