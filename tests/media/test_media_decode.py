"""amparo.media: formats, limits checked before decoding, one clear error per bad input."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import amparo.media
from amparo.config import MediaLimits
from amparo.errors import (
    CorruptMediaError,
    EmptyMediaError,
    MediaError,
    MediaTooLargeError,
    UnsupportedFormatError,
)
from amparo.media import SUPPORTED_FORMATS, check_byte_length, decode, probe
from imagefactory import (
    SIGNATURES,
    garbage_with_signature,
    image_bytes,
    jpeg_header_only,
    png_header_only,
    shapes,
    truncated,
)

LIMITS = MediaLimits()
GIB = 1024**3


def test_public_api_is_complete() -> None:
    for name in amparo.media.__all__:
        assert hasattr(amparo.media, name), name


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_every_supported_format_decodes(fmt: str) -> None:
    decoded = decode(image_bytes("shapes", 96, 64, fmt=fmt), LIMITS)
    assert (decoded.info.format, decoded.info.width, decoded.info.height) == (fmt, 96, 64)
    assert decoded.image.size == (96, 64)
    assert decoded.scale == 1


def test_gif_decodes_its_first_frame() -> None:
    frames = [shapes(80, 60, seed=s).quantize(colors=32) for s in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    decoded = decode(buffer.getvalue(), LIMITS)
    expected = frames[0].convert("RGB").tobytes()
    assert decoded.image.convert("RGB").tobytes() == expected


def test_probe_reads_only_the_header() -> None:
    info = probe(png_header_only(640, 480), LIMITS)  # no pixel data at all
    assert (info.format, info.width, info.height, info.mode) == ("PNG", 640, 480, "RGB")


def test_exif_orientation_is_not_applied() -> None:
    image = shapes(120, 80)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    decoded = decode(buffer.getvalue(), LIMITS)
    assert decoded.image.size == (120, 80)  # stored pixels, as PDQ hashes them


def test_jpeg_decodes_reduced_with_dct_scaling() -> None:
    data = image_bytes("photo_like", 2000, 1500, fmt="JPEG")
    decoded = decode(data, LIMITS, min_side=512, grayscale=True)
    assert decoded.scale == 2  # 1500 // 512 == 2: the largest of 8, 4, 2 that keeps 512
    assert decoded.image.size == (1000, 750)
    assert decoded.image.mode == "L"
    assert (decoded.info.width, decoded.info.height, decoded.info.mode) == (2000, 1500, "RGB")


def test_jpeg_decodes_at_one_eighth_when_min_side_allows() -> None:
    data = image_bytes("text", 2900, 2880, fmt="JPEG")
    decoded = decode(data, LIMITS, min_side=360, grayscale=True)
    assert decoded.scale == 8  # 2880 // 360 == 8
    assert decoded.image.size == (363, 360)  # ceil(2900 / 8) x 2880 / 8
    assert decoded.image.mode == "L"


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_other_formats_reduce_by_block_means(fmt: str) -> None:
    data = image_bytes("shapes", 1200, 1100, fmt=fmt)
    full = decode(data, LIMITS)
    reduced = decode(data, LIMITS, min_side=512, grayscale=True)
    assert (reduced.scale, reduced.block, reduced.factors) == (1, (2, 2), (2, 2))
    assert reduced.image.size == (600, 550) and reduced.image.mode == "L"
    assert full.full_resolution and not reduced.full_resolution
    expected = amparo.media.luma(full.image).reduce((2, 2))
    assert reduced.image.tobytes() == expected.tobytes()  # exact block means of the luma
    assert amparo.media.reduce(full, 512).image.tobytes() == expected.tobytes()


def test_jpeg_block_means_follow_dct_scaling() -> None:
    data = image_bytes("shapes", 1500, 750, fmt="JPEG")
    decoded = decode(data, LIMITS, min_side=128, jpeg_min_side=90, grayscale=True)
    assert (decoded.scale, decoded.block) == (8, (1, 1))  # 188 x 94: nothing left to reduce
    wide = decode(data, LIMITS, min_side=75, jpeg_min_side=90, grayscale=True)
    assert (wide.scale, wide.block, wide.image.size) == (8, (2, 1), (94, 94))


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_prefer_full_keeps_every_pixel_where_it_costs_no_more(fmt: str) -> None:
    data = image_bytes("shapes", 1200, 1100, fmt=fmt)
    kept = decode(data, LIMITS, min_side=512, grayscale=True, prefer_full=True)
    assert kept.full_resolution and kept.image.size == (1200, 1100)


def test_prefer_full_does_not_undo_jpeg_dct_scaling() -> None:
    data = image_bytes("photo_like", 2000, 1500, fmt="JPEG")
    kept = decode(data, LIMITS, min_side=512, grayscale=True, prefer_full=True)
    assert kept.scale == 2 and not kept.full_resolution


# --- errors -------------------------------------------------------------------------------


def test_empty_bytes() -> None:
    with pytest.raises(EmptyMediaError) as err:
        decode(b"", LIMITS)
    assert err.value.hint


def test_a_declared_2_gib_upload_is_refused_without_reading_it() -> None:
    with pytest.raises(MediaTooLargeError) as err:
        check_byte_length(2 * GIB, LIMITS)
    assert "2,048.0 MiB" in err.value.message and "100.0 MiB" in err.value.message
    assert "AMPARO_MEDIA_MAX_BYTES" in (err.value.hint or "")


def test_bytes_over_the_limit_are_refused_before_decoding() -> None:
    data = image_bytes("noise", 200, 200, fmt="PNG")
    with pytest.raises(MediaTooLargeError):
        decode(data, MediaLimits(max_bytes=len(data) - 1))


def test_a_50000_square_png_header_is_refused_before_decoding() -> None:
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 100  # the header alone: nothing was allocated to build it
    with pytest.raises(MediaTooLargeError) as err:
        decode(bomb, LIMITS)
    assert "50,000 x 50,000" in err.value.message and "30,000" in err.value.message
    assert "AMPARO_MEDIA_MAX_SIDE" in (err.value.hint or "")


def test_pixel_count_limit() -> None:
    with pytest.raises(MediaTooLargeError) as err:
        probe(png_header_only(20_000, 20_000), LIMITS)
    assert "400,000,000 pixels" in err.value.message
    assert "AMPARO_MEDIA_MAX_PIXELS" in (err.value.hint or "")


def test_a_huge_jpeg_header_is_refused() -> None:
    with pytest.raises(MediaTooLargeError):
        decode(jpeg_header_only(40_000, 40_000), LIMITS)


def test_our_limits_apply_not_pillows_global_one() -> None:
    """195 MP is within MediaLimits (200 MP) but over Pillow's process-wide bomb limit."""
    header = png_header_only(15_000, 13_000)
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(header))
    assert probe(header, LIMITS).width == 15_000
    with pytest.raises(MediaTooLargeError):
        probe(header, MediaLimits(max_pixels=100_000_000))
    assert before == Image.MAX_IMAGE_PIXELS  # global state untouched


@pytest.mark.parametrize("fmt", [f for f in SUPPORTED_FORMATS if f != "PNG"])
def test_truncated_images_are_corrupt(fmt: str) -> None:
    data = image_bytes("noise", 160, 120, fmt=fmt)
    with pytest.raises(CorruptMediaError) as err:
        decode(truncated(data, 0.6), LIMITS)
    assert fmt in err.value.message and err.value.hint


def test_a_png_cut_before_half_its_rows_is_corrupt() -> None:
    """A PNG cut later is decoded as far as it goes (see test_media_png.py)."""
    data = image_bytes("noise", 160, 120, fmt="PNG")
    with pytest.raises(CorruptMediaError) as err:
        decode(truncated(data, 0.4), LIMITS)
    assert "PNG" in err.value.message and "too few to hash" in err.value.message


@pytest.mark.parametrize("fmt", sorted(SIGNATURES))
def test_garbage_behind_an_image_signature_is_corrupt(fmt: str) -> None:
    with pytest.raises(CorruptMediaError):
        decode(garbage_with_signature(fmt), LIMITS)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"hello, this is text and not an image", "not an image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    ],
)
def test_unsupported_data_says_what_it_is_and_what_is_supported(data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFormatError) as err:
        decode(data, LIMITS)
    assert what in err.value.message
    assert "JPEG, PNG, WebP, GIF (first frame), BMP and TIFF" in err.value.message
    assert err.value.status_code == 415


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", *SIGNATURES.values()]),
    body=st.binary(min_size=0, max_size=600),
)
def test_arbitrary_bytes_only_ever_raise_media_errors(prefix: bytes, body: bytes) -> None:
    with contextlib.suppress(MediaError):
        decode(prefix + body, LIMITS)
