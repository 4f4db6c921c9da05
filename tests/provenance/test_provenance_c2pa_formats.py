"""C2PA beyond PNG/JPEG/WebP: TIFF and ISO BMFF (MP4, MOV, HEIC, AVIF) signed with the test CA.

Regression: such files with a valid embedded manifest and an XMP pointer to it were reported
``stripped``, because the container walk never saw their store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import c2pa
import pytest
from provenance_factories import (
    DIGITAL_CAPTURE,
    Credentials,
    c2pa_manifest,
    encode,
    make_credentials,
    minimal_heic,
    minimal_mp4,
    photo_like,
    sign_c2pa,
    tiff_with_xmp,
    top_level_boxes,
    xmp,
)

from amparo.provenance import Evidence, ProvenanceOptions, ProvenanceReport, analyze

PIXELS = photo_like(96, 64, seed=8)
POINTER = xmp('dcterms:provenance="self#jumbf=/c2pa"')

#: format -> (MIME type c2pa signs it as, an unsigned file whose XMP points at a manifest)
FORMATS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "tiff": ("image/tiff", lambda: tiff_with_xmp(PIXELS, POINTER)),
    "mp4": ("video/mp4", lambda: minimal_mp4(xmp_packet=POINTER)),
    "mov": ("video/quicktime", lambda: minimal_mp4(major=b"qt  ", udta_xmp=POINTER)),
    "heic": ("image/heic", lambda: minimal_heic(xmp_packet=POINTER)),
    "avif": ("image/avif", lambda: encode(PIXELS, "AVIF", xmp=POINTER)),
}


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return make_credentials()


@pytest.fixture(scope="module")
def signed(creds: Credentials) -> dict[str, bytes]:
    return {fmt: sign_c2pa(make(), mime, creds) for fmt, (mime, make) in FORMATS.items()}


def _summary(report: ProvenanceReport) -> Evidence:
    (item,) = [e for e in report.evidence if e.source == "C2PA manifest store"]
    return item


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_file_is_declared_ai_and_valid_never_stripped(
    fmt: str, signed: dict[str, bytes], creds: Credentials
) -> None:
    report = analyze(signed[fmt], options=ProvenanceOptions(trust_anchors=(creds.root_pem,)))
    assert report.verdict == "declared_ai"
    assert (_summary(report).validation, _summary(report).problem) == ("valid", None)
    assert not [e for e in report.evidence if e.type in ("stripped", "media")]
    actions = [e for e in report.evidence if e.source.endswith("c2pa.actions")]
    assert [(a.indicates, a.generator) for a in actions] == [("declared_ai", "ExampleGen 2")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_file_without_the_anchor_is_untrusted(fmt: str, signed: dict[str, bytes]) -> None:
    report = analyze(signed[fmt])
    assert report.verdict == "declared_ai"
    assert (_summary(report).validation, _summary(report).problem) == (
        "untrusted",
        "untrusted_signer",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_goes_to_the_reader_with_its_mime_type(
    fmt: str, signed: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = c2pa.Reader.try_create

    def spy(mime: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(mime)
        return original(mime, *args, **kwargs)

    monkeypatch.setattr(c2pa.Reader, "try_create", spy)
    analyze(signed[fmt])
    assert seen == [FORMATS[fmt][0]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unsigned_file_is_not_handed_to_the_reader(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the C2PA reader must not run without an embedded store")

    monkeypatch.setattr(c2pa.Reader, "try_create", refuse)
    report = analyze(FORMATS[fmt][1]())
    assert report.verdict == "stripped"  # its XMP points at a manifest that is not there


@pytest.mark.parametrize(("fmt", "mime"), [("mp4", "video/mp4"), ("tiff", "image/tiff")])
def test_camera_manifest_with_xmp_pointer_is_no_ai_signal(
    fmt: str, mime: str, creds: Credentials
) -> None:
    # As c2patool's video fixtures: a non-AI manifest plus an XMP pointer to it.
    data = sign_c2pa(FORMATS[fmt][1](), mime, creds, c2pa_manifest(DIGITAL_CAPTURE, "Camera"))
    report = analyze(data, options=ProvenanceOptions(trust_anchors=(creds.root_pem,)))
    assert report.verdict == "no_ai_signal"
    assert _summary(report).validation == "valid"
    assert not [e for e in report.evidence if e.type == "stripped"]


def test_mp4_with_its_manifest_box_removed_is_stripped(signed: dict[str, bytes]) -> None:
    boxes = top_level_boxes(signed["mp4"])
    kept = b"".join(
        raw for kind, raw in boxes if not (kind == b"uuid" and raw[8:12] == b"\xd8\xfe\xc3\xd6")
    )
    assert len(kept) < len(signed["mp4"])
    report = analyze(kept)
    assert report.verdict == "stripped"
    assert not [e for e in report.evidence if e.type == "c2pa"]


def test_mp4_edited_after_signing_is_a_hash_mismatch(
    signed: dict[str, bytes], creds: Credentials
) -> None:
    data = bytearray(signed["mp4"])
    data[-10] ^= 0xFF  # inside mdat, the last box
    report = analyze(bytes(data), options=ProvenanceOptions(trust_anchors=(creds.root_pem,)))
    assert (_summary(report).validation, _summary(report).problem) == ("invalid", "hash_mismatch")
    assert "assertion.bmffHash.mismatch" in _summary(report).attributes["failures"]
    assert report.verdict == "declared_ai"


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.8])
def test_truncated_signed_mp4_never_raises(signed: dict[str, bytes], keep: float) -> None:
    data = signed["mp4"][: int(len(signed["mp4"]) * keep)]
    report = analyze(data)
    assert report.verdict in ("declared_ai", "likely_ai", "no_ai_signal", "stripped")
    assert any(e.problem == "damaged" for e in report.evidence)
