"""The decode budget: every hostile input gets a clear result within memory, slots and time."""

from __future__ import annotations

import functools
import io
import struct
import threading

import numpy as np
import pytest
from PIL import Image

import amparo.media._limits as budget
from amparo.config import MediaLimits
from amparo.errors import CorruptMediaError, MediaError, MediaTooLargeError
from amparo.media import (
    DECODE_SLOTS,
    DecodeTimeoutError,
    decode,
    decode_slot,
    hostile,
    probe,
)
from amparo.media._bmp import MAX_RLE_BYTES
from amparo.media._decode import _tiff_number
from amparo.media._open import read_jpeg
from imagefactory import encode, image_bytes, photo_like, shapes

LIMITS = MediaLimits()
MIB = 1024 * 1024


@functools.cache
def _bomb(name: str) -> bytes:
    return hostile.BOMBS[name]()


# --- every worst case of bench/bench_hostile_media.py, at full size ------------------------

REDUCED = {  # decoded, reduced: the image PDQ will see
    "gif_huge_screen": ((362, 371), (83, 18)),
    "jpeg_header_only": ((438, 438), (4, 4)),
    "png_zlib_bomb": ((364, 371), (55, 27)),
    "bmp_rle_huge": ((362, 371), (83, 18)),
}
REFUSED = {  # error class, words of its message
    "jpeg_truncated_header": (CorruptMediaError, "truncated"),
    "jpeg_progressive_scans": (MediaTooLargeError, "4,001 scans"),
    "jpeg_progressive_memory": (MediaTooLargeError, "progressive JPEG needs about 1,140 MiB"),
    "png_rgba16_bomb": (MediaTooLargeError, "16-bit samples decodes to 3,052 MiB"),
    "png_interlaced_bomb": (MediaTooLargeError, "interlaced: decoded whole"),
    "webp_huge_canvas": (MediaTooLargeError, "WEBP (decoded whole) needs about 2,213 MiB"),
    "webp_lossless_bomb": (MediaTooLargeError, "WEBP (decoded whole) needs about 2,213 MiB"),
    "tiff_huge_strip": (MediaTooLargeError, "TIFF (decoded whole) needs about 1,084 MiB"),
    "tiff_huge_tile": (MediaTooLargeError, "64 x 64 TIFF (decoded whole) needs about 784 MiB"),
    "bmp_huge_raw": (CorruptMediaError, "BMP image is truncated"),
}


def test_every_bomb_has_an_expected_result() -> None:
    assert set(REDUCED) | set(REFUSED) == set(hostile.BOMBS)


@pytest.mark.parametrize("name", sorted(hostile.BOMBS))
def test_every_bomb_declares_an_image_within_the_header_limits(name: str) -> None:
    info = probe(_bomb(name), LIMITS)
    assert info.width * info.height > 4_000 or name == "tiff_huge_tile"
    assert len(_bomb(name)) < 4_000_000


@pytest.mark.parametrize("name", sorted(REDUCED))
def test_bombs_that_decode_reduced(name: str) -> None:
    decoded = decode(_bomb(name), LIMITS, min_side=360, jpeg_min_side=360, grayscale=True)
    assert (decoded.image.size, decoded.block) == REDUCED[name]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bombs_that_are_refused_with_a_clear_error(name: str) -> None:
    kind, words = REFUSED[name]
    with pytest.raises(MediaError) as err:
        decode(_bomb(name), LIMITS, min_side=360, grayscale=True)
    assert type(err.value) is kind
    assert words in err.value.message and err.value.hint


@pytest.mark.parametrize(
    "data",
    [hostile.webp_lossless_bomb(1000, 1000), hostile.tiff_huge_tile(64, 64, 2048)],
    ids=["webp", "tiff-tile"],
)
def test_what_a_larger_memory_limit_allows(data: bytes) -> None:
    with pytest.raises(MediaTooLargeError, match="needs about"):
        decode(data, MediaLimits(max_decode_memory=24 * MIB))
    assert decode(data, MediaLimits(max_decode_memory=64 * MIB)).full_resolution


def test_a_tiff_tag_of_the_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(CorruptMediaError, match="tag 323 should hold one number") as err:
        decode(hostile.tiff_mistyped_tile(), LIMITS)
    assert err.value.hint


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1, b"\x10", (1, 2)])
def test_a_tiff_tag_that_is_no_size_is_a_clear_error(value: object) -> None:
    with pytest.raises(CorruptMediaError, match="tag 322 should hold one number"):
        _tiff_number(value, 322)


# --- JPEG markers -----------------------------------------------------------------------


def test_a_baseline_photo_costs_one_pass_and_no_coefficient_buffer() -> None:
    layout = read_jpeg(memoryview(image_bytes("photo_like", 400, 300, fmt="JPEG")))
    assert layout is not None
    assert (layout.progressive, layout.buffered, layout.scans, layout.complete) == (
        False,
        False,
        1,
        True,
    )
    assert layout.blocks == 50 * 38 + 2 * 25 * 19  # 4:2:0: Y plus two quarter-size planes
    assert layout.scan_blocks >= layout.blocks and layout.coefficient_bytes == 0


def test_a_progressive_photo_buffers_its_coefficients() -> None:
    out = io.BytesIO()
    photo_like(400, 300, seed=1).save(out, "JPEG", progressive=True)
    layout = read_jpeg(memoryview(out.getvalue()))
    assert layout is not None and layout.progressive and layout.buffered
    assert layout.coefficient_bytes == layout.blocks * 128
    assert 5 * layout.blocks < layout.scan_blocks < 12 * layout.blocks


def test_junk_between_markers_does_not_hide_the_scans() -> None:
    """libjpeg skips junk before a marker; so must the walk, or a bomb slips through."""
    bomb = hostile.jpeg_progressive_scans(2000, 2000, 300)
    at = bomb.index(b"\xff\xda")
    junked = bomb[:at] + b"junk" + bomb[at:]
    layout = read_jpeg(memoryview(junked))
    assert layout is not None and layout.scans == 301


def test_a_jpeg_without_an_end_is_incomplete() -> None:
    layout = read_jpeg(memoryview(hostile.jpeg_truncated_header(100, 100)))
    assert layout is not None and not layout.complete


# --- BMP run-length ------------------------------------------------------------------------


def _rle_bmp(width: int, height: int, runs: bytes, *, rle4: bool = False) -> bytes:
    colours = 16 if rle4 else 256
    palette = b"".join(struct.pack("<BBBB", (i * 37) % 256, i, 255 - i, 0) for i in range(colours))
    offset = 14 + 40 + len(palette)
    info = struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, 4 if rle4 else 8, 2 if rle4 else 1, len(runs),
        2835, 2835, colours, 0,
    )  # fmt: skip
    return b"BM" + struct.pack("<IHHI", offset + len(runs), 0, 0, offset) + info + palette + runs


RLE8 = (
    b"\x03\x05\x02\x07\x00\x00"  # 3 x 5, 2 x 7, end of line
    b"\x00\x03\x01\x02\x03\x00\x01\x04\x00\x00"  # absolute 1, 2, 3 (padded), 1 x 4, EOL
    b"\x00\x02\x02\x01\x09\x01\x00\x00"  # delta 2 right 1 up, 9, EOL
    b"\x06\x08\x00\x00"  # 6 x 8, EOL
)
RLE4 = b"\x05\x12\x00\x00\x00\x04\x34\x56\x03\x78\x00\x00\x06\x9a\x00\x00\x02\x01\x00\x00"


@pytest.mark.parametrize(("runs", "rle4"), [(RLE8, False), (RLE4, True)], ids=["rle8", "rle4"])
def test_run_length_bmps_decode_as_pillow_decodes_them(runs: bytes, rle4: bool) -> None:
    data = _rle_bmp(6, 4, runs, rle4=rle4)
    with Image.open(io.BytesIO(data)) as reference:
        reference.load()
        expected = reference.convert("RGB").tobytes()
    assert decode(data, LIMITS).image.convert("RGB").tobytes() == expected


def test_an_early_end_of_bitmap_leaves_the_background() -> None:
    decoded = decode(_rle_bmp(6, 4, b"\x06\x09\x00\x01"), LIMITS)  # one row, then the end
    indices = np.asarray(decoded.image)
    assert indices[3].tolist() == [9] * 6 and not indices[:3].any()  # bottom-up rows


def test_a_palette_larger_than_its_bit_depth_is_corrupt() -> None:
    """Found by scripts/fuzz: an 8-bit RLE BMP declaring 65,536 palette colours."""
    data = bytearray(_rle_bmp(6, 4, RLE8))
    data[14 + 32 : 14 + 36] = struct.pack("<I", 65_536)  # biClrUsed
    with pytest.raises(CorruptMediaError, match="palette"):
        decode(bytes(data), LIMITS)


def test_run_length_data_over_its_cap_is_refused() -> None:
    data = _rle_bmp(100, 100, b"\x00\x00" * (MAX_RLE_BYTES // 2 + 1))
    with pytest.raises(MediaTooLargeError, match="run-length data"):
        decode(data, LIMITS)


# --- decode slots and the deadline ---------------------------------------------------------


def test_slots_follow_the_cpus_the_process_may_use() -> None:
    assert DECODE_SLOTS == budget._usable_cpus() >= 1


def test_waiting_for_a_slot_past_the_deadline_is_an_error_not_a_hang() -> None:
    taken, release = threading.Barrier(DECODE_SLOTS + 1), threading.Event()

    def hold() -> None:
        with decode_slot(LIMITS):
            taken.wait()
            release.wait(30)

    holders = [threading.Thread(target=hold) for _ in range(DECODE_SLOTS)]
    for thread in holders:
        thread.start()
    taken.wait()
    try:
        with pytest.raises(DecodeTimeoutError) as err:
            decode(image_bytes(), MediaLimits(decode_timeout=0.05))
        assert err.value.status_code == 503 and err.value.code == "decode_timeout"
        assert f"already decoding {DECODE_SLOTS} images" in err.value.message
        assert "AMPARO_MEDIA_DECODE_TIMEOUT" in (err.value.hint or "")
    finally:
        release.set()
        for thread in holders:
            thread.join()
    assert decode(image_bytes(), LIMITS).image.size == (320, 240)  # slots come back


def test_a_thread_never_waits_on_its_own_slot() -> None:
    """A hash that decodes twice holds one slot: the second decode must not wait for one.

    Here every other slot is taken, so a decode that asked for a slot would time out."""
    taken, release = threading.Barrier(DECODE_SLOTS), threading.Event()

    def hold() -> None:
        with decode_slot(LIMITS):
            taken.wait()
            release.wait(30)

    holders = [threading.Thread(target=hold) for _ in range(DECODE_SLOTS - 1)]
    for thread in holders:
        thread.start()
    try:
        with decode_slot(LIMITS) as outer:
            taken.wait()
            with decode_slot(MediaLimits(decode_timeout=0.05)) as inner:
                assert inner is outer
            assert decode(image_bytes(), MediaLimits(decode_timeout=0.05)).image.size == (
                320,
                240,
            )
    finally:
        release.set()
        for thread in holders:
            thread.join()
    assert budget.current_deadline() is None


def test_banded_work_stops_at_the_deadline() -> None:
    data = hostile.png_zlib_bomb(4000, 2000)
    with pytest.raises(DecodeTimeoutError, match="took longer than"):
        decode(data, MediaLimits(decode_timeout=1e-9), min_side=360)


@pytest.mark.parametrize(
    "value", [0, -1, True, 1.5, "100"], ids=["zero", "negative", "bool", "float", "str"]
)
def test_limits_must_be_positive_integers(value: object) -> None:
    with pytest.raises(ValueError, match="max_decode_memory must be a positive integer"):
        MediaLimits(max_decode_memory=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -0.5, float("nan"), True, "1"])
def test_the_decode_timeout_must_be_a_positive_number(value: object) -> None:
    with pytest.raises(ValueError, match="decode_timeout must be a positive number"):
        MediaLimits(decode_timeout=value)  # type: ignore[arg-type]


def test_small_images_need_no_special_budget() -> None:
    for fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"):
        data = encode(shapes(200, 150, seed=1), fmt)
        assert decode(data, MediaLimits(max_decode_memory=17 * MIB)).image.size == (200, 150)
