"""PDQ: parity with ThreatExchange, the fast path's accuracy, dihedral variants, colour modes."""

from __future__ import annotations

import functools
import io

import numpy as np
import pdqhash
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from amparo.config import MediaLimits
from amparo.media import decode
from amparo.signals import DIHEDRAL_NAMES, hash_media, pdq_distance
from amparo.signals._pdq import FAST_JPEG_MIN_SIDE
from amparo.signals._pdq_kernel import fragile, hash_buffer
from imagefactory import checkerboard, encode, image_bytes, in_mode, make, photo_like, shapes

LIMITS = MediaLimits()


def _rgb_png(data: bytes, mode: str = "RGB") -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return encode(image.convert(mode), "PNG")


# --- full path: bit-for-bit ThreatExchange ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fmt", "mode"),
    [
        ("photo_like", "JPEG", "RGB"),
        ("text", "JPEG", "L"),
        ("shapes", "PNG", "RGB"),
        ("shapes", "PNG", "RGBA"),
        ("noise", "PNG", "L"),
        ("checkerboard", "PNG", "LA"),
        ("photo_like", "WEBP", "RGB"),
        ("shapes", "BMP", "RGB"),
        ("text", "TIFF", "RGB"),
        ("gradient", "PNG", "RGB"),
    ],
)
def test_full_path_equals_threatexchange_pdq_from_bytes(kind: str, fmt: str, mode: str) -> None:
    data = encode(make(kind, 420, 300, seed=5).convert(mode), fmt, quality=90)  # type: ignore[arg-type]
    signals = hash_media(data, LIMITS, fast=False)
    assert signals.pdq is not None
    assert (signals.pdq.hex, signals.pdq.quality) == pdq_from_bytes(data)


def test_palette_images_hash_their_colours_not_their_indices() -> None:
    """A deliberate difference: ThreatExchange hashes a GIF's palette indices."""
    gif = in_mode("P", fmt="GIF")
    ours = hash_media(gif, LIMITS, fast=False).pdq
    assert ours is not None
    assert (ours.hex, ours.quality) == pdq_from_bytes(_rgb_png(gif))


@pytest.mark.parametrize(("mode", "fmt"), [("CMYK", "TIFF"), ("CMYK", "JPEG"), ("YCbCr", "TIFF")])
def test_other_colour_spaces_hash_as_rgb(mode: str, fmt: str) -> None:
    data = in_mode(mode, fmt=fmt)
    ours = hash_media(data, LIMITS, fast=False).pdq
    assert ours is not None
    assert (ours.hex, ours.quality) == pdq_from_bytes(_rgb_png(data))


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    data = in_mode("I;16")  # full 0..65535 range
    ours = hash_media(data, LIMITS, fast=False).pdq
    eight_bit = encode(shapes(200, 150, seed=11).convert("L"), "PNG")
    assert ours is not None
    assert (ours.hex, ours.quality) == pdq_from_bytes(eight_bit)


def test_bilevel_images_keep_their_bits_and_get_a_real_quality() -> None:
    data = in_mode("1")
    ours = hash_media(data, LIMITS, fast=False).pdq
    te_hex, te_quality = pdq_from_bytes(data)
    assert ours is not None
    assert (ours.hex, ours.quality) == pdq_from_bytes(_rgb_png(data, "L"))
    assert pdq_distance(ours.hex, te_hex) <= 4 and te_quality == 0 < ours.quality


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("P", "GIF"),
        ("PA", "TIFF"),
        ("RGBA", "PNG"),
        ("RGBA", "WEBP"),
        ("CMYK", "TIFF"),
        ("I;16", "PNG"),
        ("I;16", "TIFF"),
        ("I", "TIFF"),
        ("F", "TIFF"),
        ("1", "PNG"),
        ("1", "BMP"),
        ("YCbCr", "TIFF"),
        ("LAB", "TIFF"),
    ],
)
def test_every_colour_mode_hashes_on_both_paths(mode: str, fmt: str) -> None:
    data = in_mode(mode, fmt=fmt)
    full, fast = hash_media(data, LIMITS, fast=False), hash_media(data, LIMITS)
    assert full.pdq is not None and fast.pdq is not None
    assert full.pdq.quality >= 50
    assert pdq_distance(full.pdq.hex, fast.pdq.hex) <= 10


def test_a_few_non_finite_samples_leave_a_float_image_s_hash_as_it_was() -> None:
    """NaN shows as the minimum, an infinity as its end of the range: planting three such
    samples in a float TIFF is no way to make its hash undefined or evade a match."""
    picture = np.asarray(photo_like(96, 64, seed=4).convert("L"), dtype=np.float32) / 7.0

    def tiff(values: np.ndarray) -> bytes:
        out = io.BytesIO()
        Image.fromarray(values, "F").save(out, "TIFF")
        return out.getvalue()

    planted = picture.copy()
    planted[0, 0], planted[5, 9], planted[40, 70] = np.nan, np.inf, -np.inf
    clean, dirty = hash_media(tiff(picture), LIMITS).pdq, hash_media(tiff(planted), LIMITS).pdq
    assert clean is not None and dirty is not None
    assert pdq_distance(clean.hex, dirty.hex) <= 2
    blank = hash_media(tiff(np.full((64, 64), np.nan, dtype=np.float32)), LIMITS)
    assert blank.decode_error is None and blank.pdq is not None and blank.pdq.quality == 0


# --- the fast path ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["photo_like", "shapes", "text", "noise"])
@pytest.mark.parametrize("size", [(640, 480), (1700, 1100)])
@pytest.mark.parametrize("quality", [80, 95])
def test_fast_path_within_10_bits_of_full_resolution(
    kind: str, size: tuple[int, int], quality: int
) -> None:
    """PDQ's compatibility rule, for JPEG quality >= 80 (bench/bench_fastpath_accuracy.py)."""
    data = encode(make(kind, *size, seed=3), "JPEG", quality=quality)  # type: ignore[arg-type]
    reference, reference_quality = pdq_from_bytes(data)
    fast = hash_media(data, LIMITS).pdq
    assert fast is not None
    assert pdq_distance(fast.hex, reference) <= 10
    assert abs(fast.quality - reference_quality) <= 5


@functools.cache
def _eighth_scale_image(kind: str) -> Image.Image:
    return make(kind, 2900, 8 * FAST_JPEG_MIN_SIDE, seed=6)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["photo_like", "text"])
@pytest.mark.parametrize("quality", [80, 95])
def test_fast_path_within_10_bits_at_one_eighth_dct_scale(kind: str, quality: int) -> None:
    """From 8 x FAST_JPEG_MIN_SIDE rows on (a 12 MP photo), JPEGs decode at 1/8."""
    data = encode(_eighth_scale_image(kind), "JPEG", quality=quality)
    assert decode(data, LIMITS, min_side=FAST_JPEG_MIN_SIDE, grayscale=True).scale == 8
    reference, reference_quality = pdq_from_bytes(data)
    fast = hash_media(data, LIMITS).pdq
    assert fast is not None
    assert pdq_distance(fast.hex, reference) <= 10
    assert abs(fast.quality - reference_quality) <= 5


def test_fragile_hashes_fall_back_to_every_pixel() -> None:
    """A checkerboard's DCT has many near-ties at the median: the fast path would move bits."""
    data = encode(checkerboard(1600, 1200, seed=1), "JPEG", quality=90)
    fast, full = hash_media(data, LIMITS).pdq, hash_media(data, LIMITS, fast=False).pdq
    assert fast is not None and full is not None
    assert (fast.hex, fast.quality) == (full.hex, full.quality)


@pytest.mark.parametrize("kind", ["photo_like", "shapes", "text", "noise"])
def test_fragile_is_false_on_well_conditioned_images(kind: str) -> None:
    pixels = np.asarray(make(kind, 64, 64, seed=1).convert("L"), dtype=np.float32)  # type: ignore[arg-type]
    assert not fragile(pixels)


def test_fragile_flags_exact_ties_at_the_median() -> None:
    rows, cols = np.indices((64, 64))
    squares = (((rows // 8 + cols // 8) % 2) * 200.0).astype(np.float32)  # 8 x 8 cells
    assert fragile(squares)
    assert fragile(np.full((64, 64), 7.0, dtype=np.float32))  # constant: every bit a tie


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF"])
def test_fast_path_within_10_bits_for_block_mean_formats(fmt: str) -> None:
    """Formats without DCT scaling decode fully, then reduce by block means (3 x 2 here)."""
    data = encode(photo_like(1700, 1100, seed=4), fmt, quality=90)
    fast, full = hash_media(data, LIMITS).pdq, hash_media(data, LIMITS, fast=False).pdq
    assert fast is not None and full is not None
    assert pdq_distance(fast.hex, full.hex) <= 10


@pytest.mark.slow
def test_fast_path_within_10_bits_at_12_megapixels() -> None:
    data = encode(photo_like(4000, 3000, seed=7), "JPEG", quality=90)
    fast = hash_media(data, LIMITS).pdq
    assert fast is not None
    assert pdq_distance(fast.hex, pdq_from_bytes(data)[0]) <= 10


def test_fast_path_is_exact_when_nothing_is_reduced() -> None:
    """Under 512 pixels a side the fast path replays PDQ's filter on every pixel."""
    data = image_bytes("photo_like", 500, 380, fmt="PNG")
    fast, full = hash_media(data, LIMITS).pdq, hash_media(data, LIMITS, fast=False).pdq
    assert fast is not None and full is not None
    assert pdq_distance(fast.hex, full.hex) <= 2
    assert abs(fast.quality - full.quality) <= 1


@pytest.mark.parametrize("seed", range(12))
def test_kernel_matches_pdqhash_bit_for_bit_on_64x64(seed: int) -> None:
    """On 64 x 64 input pdqhash does no filtering, so its output checks our last stage.

    Not on checkerboards: their DCT has exact ties at the median, which float summation
    order breaks either way.
    """
    kinds = ["photo_like", "shapes", "text", "noise", "gradient"]
    pixels = np.asarray(make(kinds[seed % 5], 64, 64, seed=seed))  # type: ignore[arg-type]
    luma = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
    ours, quality = hash_buffer(luma.astype(np.float32), dihedral=True)
    vectors, reference_quality = pdqhash.compute_dihedral(pixels)
    reference = [np.packbits(v.astype(np.uint8)).tobytes().hex() for v in vectors]
    assert ours == reference
    assert quality == reference_quality


# --- dihedral variants --------------------------------------------------------------------

TRANSPOSES = {
    "original": None,
    "rotate90": Image.Transpose.ROTATE_90,
    "rotate180": Image.Transpose.ROTATE_180,
    "rotate270": Image.Transpose.ROTATE_270,
    "flip_vertical": Image.Transpose.FLIP_TOP_BOTTOM,
    "flip_horizontal": Image.Transpose.FLIP_LEFT_RIGHT,
    "flip_transpose": Image.Transpose.TRANSPOSE,
    "flip_transverse": Image.Transpose.TRANSVERSE,
}


def test_dihedral_names_cover_the_eight_transforms() -> None:
    assert tuple(TRANSPOSES) == DIHEDRAL_NAMES


@pytest.mark.parametrize("fast", [True, False])
def test_dihedral_variants_equal_the_hash_of_the_transformed_image(fast: bool) -> None:
    image = photo_like(900, 640, seed=9)
    signals = hash_media(encode(image, "PNG"), LIMITS, dihedral=True, fast=fast)
    assert signals.pdq is not None and signals.pdq_dihedral is not None
    assert signals.pdq_dihedral["original"] == signals.pdq.hex
    for name, transpose in TRANSPOSES.items():
        moved = image if transpose is None else image.transpose(transpose)
        actual = hash_media(encode(moved, "PNG"), LIMITS, fast=fast).pdq
        assert actual is not None
        assert pdq_distance(signals.pdq_dihedral[name], actual.hex) <= 6, name


def test_dihedral_full_path_equals_pdqhash() -> None:
    image = shapes(300, 200, seed=2)
    signals = hash_media(encode(image, "PNG"), LIMITS, dihedral=True, fast=False)
    vectors, _ = pdqhash.compute_dihedral(np.asarray(image))
    expected = [np.packbits(v.astype(np.uint8)).tobytes().hex() for v in vectors]
    assert signals.pdq_dihedral is not None
    assert list(signals.pdq_dihedral.values()) == expected
