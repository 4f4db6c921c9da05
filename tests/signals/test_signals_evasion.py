"""Hash evasion: whatever is done to a file's bytes, its MD5 and SHA-256 come back, and its PDQ
too wherever the pixels survive (damage browsers ignore is ignored here as well)."""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.config import MediaLimits
from amparo.errors import (
    CorruptMediaError,
    EmptyMediaError,
    MediaTooLargeError,
    UnsupportedFormatError,
)
from amparo.media import DECODE_SLOTS, DecodeTimeoutError, decode, decode_slot
from amparo.media.hostile import png_chunk, png_insert
from amparo.signals import PDQ_MATCH_THRESHOLD, DecodeError, Signals, hash_media, pdq_distance
from amparo.signals._pdq import pdq_fast
from imagefactory import SIGNATURES, checkerboard, encode, image_bytes, photo_like

LIMITS = MediaLimits()
CLEAN = encode(photo_like(480, 360, seed=12), "PNG")
CLEAN_PDQ = hash_media(CLEAN, LIMITS).pdq


def _digests_of(data: bytes, signals: Signals) -> None:
    assert signals.md5 == hashlib.md5(data).hexdigest()
    assert signals.sha256 == hashlib.sha256(data).hexdigest()


def _same_pdq(data: bytes) -> Signals:
    signals = hash_media(data, LIMITS)
    _digests_of(data, signals)
    assert signals.decode_error is None and signals.pdq == CLEAN_PDQ
    return signals


# --- ancillary PNG chunks: ignored, as browsers do -------------------------------------------


def _inflates_to(size: int) -> bytes:
    return zlib.compress(b"\x00" * size, 9)


@pytest.mark.parametrize(
    "chunk",
    [
        png_chunk(b"zTXt", b"Comment\x00\x00" + _inflates_to(2 * 1024 * 1024)),
        png_chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + _inflates_to(2 * 1024 * 1024)),
        png_chunk(b"tEXt", b"parameters\x00" + b"a" * (2 * 1024 * 1024)),
    ],
    ids=["zTXt-bomb", "iTXt-bomb", "2MB-tEXt"],
)
def test_a_text_chunk_bomb_changes_neither_digests_nor_pdq(chunk: bytes) -> None:
    _same_pdq(png_insert(CLEAN, chunk))


@pytest.mark.parametrize(
    "kind",
    [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"tIME",
     b"bKGD", b"sBIT", b"hIST", b"sPLT", b"caBX", b"acTL", b"fcTL", b"prVt"],
)  # fmt: skip
def test_an_ancillary_chunk_with_a_bad_crc_changes_nothing_but_the_digests(kind: bytes) -> None:
    _same_pdq(png_insert(CLEAN, png_chunk(kind, b"x\x00y" * 10, crc=0xDEADBEEF)))


@pytest.mark.parametrize("after", [b"IEND", b"IDAT"], ids=["after-iend", "before-idat"])
def test_many_bad_chunks_at_once(after: bytes) -> None:
    chunks = [png_chunk(k, b"junk", crc=1) for k in (b"tEXt", b"zTXt", b"iTXt", b"eXIf")]
    data = CLEAN + b"".join(chunks) if after == b"IEND" else png_insert(CLEAN, *chunks)
    _same_pdq(data)


def test_trailing_garbage_changes_nothing_but_the_digests() -> None:
    _same_pdq(CLEAN + bytes(range(256)) * 40)


def test_a_truncated_png_keeps_its_digests_and_a_close_pdq() -> None:
    idat_end = CLEAN.index(b"IEND") - 8
    cut = CLEAN[: idat_end - len(CLEAN) // 40]  # the last ~2.5% of the image data is gone
    signals = hash_media(cut, LIMITS)
    _digests_of(cut, signals)
    assert signals.decode_error is None and signals.pdq is not None and CLEAN_PDQ is not None
    assert pdq_distance(signals.pdq.hex, CLEAN_PDQ.hex) <= PDQ_MATCH_THRESHOLD


def test_a_png_cut_to_a_third_keeps_its_digests() -> None:
    cut = CLEAN[: len(CLEAN) // 3]
    signals = hash_media(cut, LIMITS)
    _digests_of(cut, signals)
    assert signals.pdq is None and signals.decode_error is not None
    assert signals.decode_error.code == "corrupt_media"
    assert (signals.width, signals.height, signals.format) == (480, 360, "PNG")


# --- bytes that cannot be decoded still get their digests ------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "status"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", UnsupportedFormatError, 415),
        (SIGNATURES["GIF"] + b"\x00" * 300, CorruptMediaError, 400),
        (image_bytes("noise", 160, 120, fmt="JPEG")[:400], CorruptMediaError, 400),
        (struct.pack(">8s", b"\x89PNG\r\n\x1a\n") + png_chunk(
            b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
        ), MediaTooLargeError, 413),
    ],
    ids=["pdf", "corrupt-gif", "truncated-jpeg", "50k-by-50k"],
)  # fmt: skip
def test_undecodable_bytes_get_digests_and_a_decode_error(
    data: bytes, kind: type[Exception], status: int
) -> None:
    signals = hash_media(data, LIMITS, dihedral=True)
    _digests_of(data, signals)
    assert signals.pdq is None and signals.pdq_dihedral is None
    error = signals.decode_error
    assert isinstance(error, DecodeError) and error.message and error.hint
    assert isinstance(error.error(), kind) and error.error().status_code == status
    with pytest.raises(kind) as raised:
        error.raise_error()
    assert raised.value.message == error.message and raised.value.hint == error.hint


def test_the_header_size_is_kept_when_only_the_body_is_bad() -> None:
    data = image_bytes("noise", 160, 120, fmt="JPEG")
    signals = hash_media(data[: len(data) * 6 // 10], LIMITS)
    assert signals.decode_error is not None and signals.decode_error.code == "corrupt_media"
    assert (signals.width, signals.height, signals.format) == (160, 120, "JPEG")


def test_the_length_checks_still_raise() -> None:
    with pytest.raises(EmptyMediaError):
        hash_media(b"", LIMITS)
    with pytest.raises(MediaTooLargeError):
        hash_media(CLEAN, MediaLimits(max_bytes=len(CLEAN) - 1))


@pytest.fixture
def every_slot_taken() -> Iterator[None]:
    """Hold all of the process's decode slots from other threads while the test runs."""
    taken, release = threading.Barrier(DECODE_SLOTS + 1), threading.Event()

    def hold() -> None:
        with decode_slot(LIMITS):
            taken.wait()
            release.wait(30)

    threads = [threading.Thread(target=hold) for _ in range(DECODE_SLOTS)]
    for thread in threads:
        thread.start()
    taken.wait()
    yield
    release.set()
    for thread in threads:
        thread.join()


@pytest.mark.usefixtures("every_slot_taken")
def test_no_decode_slot_within_the_deadline_is_a_decode_error_with_digests() -> None:
    signals = hash_media(CLEAN, MediaLimits(decode_timeout=0.05))
    _digests_of(CLEAN, signals)
    assert signals.decode_error is not None and signals.decode_error.code == "decode_timeout"
    assert signals.decode_error.error().status_code == 503
    with pytest.raises(DecodeTimeoutError, match=r"no decode slot came free within 0\.05 s"):
        signals.decode_error.raise_error()


# --- the full path's memory -------------------------------------------------------------


def test_hashing_every_pixel_over_the_memory_limit_is_a_decode_error() -> None:
    data = image_bytes("photo_like", 1000, 800, fmt="PNG")
    small = MediaLimits(max_decode_memory=1000 * 800 * 10)
    refused = hash_media(data, small, fast=False)
    assert refused.pdq is None and refused.decode_error is not None
    assert refused.decode_error.code == "media_too_large"
    assert "hashing every pixel" in refused.decode_error.message
    assert "fast path" in (refused.decode_error.hint or "")
    assert hash_media(data, small).pdq is not None  # the fast path needs far less


def test_a_fragile_hash_too_large_to_redo_at_full_resolution_keeps_the_fast_hash() -> None:
    data = encode(checkerboard(1600, 1200, seed=1), "JPEG", quality=90)
    small = MediaLimits(max_decode_memory=1600 * 1200 * 10)
    reduced = decode(data, small, min_side=512, jpeg_min_side=360, grayscale=True)
    assert pdq_fast(reduced) is None  # fragile: normally redone from every pixel
    expected = pdq_fast(reduced, accept_fragile=True)
    signals = hash_media(data, small)
    assert expected is not None and signals.pdq is not None
    assert (signals.pdq.hex, signals.pdq.quality) == (expected[0][0], expected[1])


# --- any bytes at all -----------------------------------------------------------------------

_SMALL = MediaLimits(max_bytes=2_000)
_SEEDS = [image_bytes("shapes", 24, 16, fmt=fmt) for fmt in ("PNG", "GIF", "BMP", "JPEG")]


def _property(data: bytes) -> None:
    try:
        signals = hash_media(data, _SMALL)
    except EmptyMediaError:
        assert not data
        return
    except MediaTooLargeError:
        assert len(data) > _SMALL.max_bytes
        return
    _digests_of(data, signals)
    assert (signals.pdq is None) or signals.decode_error is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", *SIGNATURES.values()]),
    body=st.binary(min_size=0, max_size=2_100),
)
def test_any_bytes_get_a_size_error_or_their_exact_digests(prefix: bytes, body: bytes) -> None:
    _property(prefix + body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 2_000),
)
def test_damaged_images_get_a_size_error_or_their_exact_digests(
    seed: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(seed)
    for position, value in edits:
        data[position % len(data)] = value
    _property(bytes(data[: len(data) - cut % len(data)]))
