"""One decode per scan: ``hash_media(..., keep_pixels=True)`` hands its decode to
``provenance.analyze(..., pixels=...)``, which reads every pixel through amparo.media."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

import amparo.media._decode as decode_module
from amparo.config import MediaLimits
from amparo.media.hostile import png_chunk, png_insert
from amparo.provenance import ProvenanceOptions, analyze
from amparo.signals import hash_media
from imagefactory import encode, image_bytes, photo_like

LIMITS = MediaLimits()


def _lossless(fmt: str) -> bytes:
    out = io.BytesIO()
    photo_like(420, 300, seed=2).save(out, fmt, lossless=True)
    return out.getvalue()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count every pixel decode (all go through ``_decode_pixels``)."""
    calls = 0
    real = decode_module._decode_pixels

    def counting(*args: object, **kwargs: object) -> decode_module.DecodedImage:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(decode_module, "_decode_pixels", counting)
    return lambda: calls


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_a_png_or_webp_scan_decodes_once(fmt: str, decodes: Callable[[], int]) -> None:
    data = _lossless(fmt)
    _signals, decoded = hash_media(data, LIMITS, keep_pixels=True)
    report = analyze(data, pixels=decoded, limits=LIMITS)
    assert decodes() == 1
    assert decoded is not None and decoded.full_resolution
    watermark = [e for e in report.evidence if e.type == "watermark"]
    assert watermark and watermark[0].problem is None  # the check ran, on the shared pixels
    assert report == analyze(data)  # the same report as analyze decoding for itself
    assert decodes() == 2


def test_without_sharing_provenance_decodes_again(decodes: Callable[[], int]) -> None:
    data = image_bytes("photo_like", 420, 300, fmt="PNG")
    analyze(data, pixels=None)
    hash_media(data, LIMITS)
    assert decodes() == 2


def test_a_jpeg_keeps_its_reduced_decode_and_provenance_reads_no_pixels(
    decodes: Callable[[], int],
) -> None:
    data = image_bytes("photo_like", 2000, 1500, fmt="JPEG")
    _signals, decoded = hash_media(data, LIMITS, keep_pixels=True)
    assert decoded is not None and decoded.scale == 4 and not decoded.full_resolution
    analyze(data, pixels=decoded)
    assert decodes() == 1  # JPEG is not watermark-checked by default
    opted = ProvenanceOptions(watermark_formats=frozenset({"jpeg"}))
    report = analyze(data, options=opted, pixels=decoded)
    assert decodes() == 2  # asked for: a reduced decode is not used, the JPEG is decoded whole
    (watermark,) = [e for e in report.evidence if e.type == "watermark"]
    assert watermark.problem is None


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP", "BMP", "TIFF", "JPEG"])
def test_keeping_the_pixels_never_changes_the_hash(fmt: str) -> None:
    data = image_bytes("shapes", 1100, 700, fmt=fmt)  # reduced 2 x 1 by block means
    for dihedral in (False, True):
        kept, _decoded = hash_media(data, LIMITS, keep_pixels=True, dihedral=dihedral)
        assert kept == hash_media(data, LIMITS, dihedral=dihedral)
        assert kept.pdq_dihedral == hash_media(data, LIMITS, dihedral=dihedral).pdq_dihedral


def test_nothing_decoded_nothing_kept() -> None:
    signals, decoded = hash_media(b"not an image", LIMITS, keep_pixels=True)
    assert decoded is None and signals.decode_error is not None


def test_an_image_too_large_to_decode_whole_is_shared_reduced(decodes: Callable[[], int]) -> None:
    data = image_bytes("photo_like", 1300, 900, fmt="PNG")
    tight = MediaLimits(max_decode_memory=20 * 1024 * 1024)  # the 1300 x 900 image: 21 MiB
    signals, decoded = hash_media(data, tight, keep_pixels=True)
    assert decoded is not None and not decoded.full_resolution
    report = analyze(data, pixels=decoded, limits=tight)
    (watermark,) = [e for e in report.evidence if e.type == "watermark"]
    assert watermark.problem == "not_decoded" and "MiB" in watermark.detail
    assert decodes() == 2  # provenance tried, through amparo.media, and was refused
    assert signals.pdq == hash_media(data, LIMITS).pdq  # the banded decode: the same hash


def test_decode_problems_become_provenance_evidence() -> None:
    data = png_insert(
        encode(photo_like(300, 300, seed=4), "PNG"), png_chunk(b"tEXt", b"a\x00b", crc=7)
    )
    _signals, decoded = hash_media(data, LIMITS, keep_pixels=True)
    assert decoded is not None and decoded.problems
    for report in (analyze(data, pixels=decoded), analyze(data)):
        (item,) = [e for e in report.evidence if e.source == "pixels" and e.type == "media"]
        assert item.problem == "damaged" and "bad CRC" in item.detail
        assert report.verdict == "no_ai_signal"
