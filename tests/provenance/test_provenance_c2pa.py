"""C2PA: stamp round trips, trust, and every way a manifest can be bad."""

from __future__ import annotations

import io
import struct
import time

import c2pa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provenance_factories import Credentials, decode, encode, make_credentials, photo_like

from amparo.errors import InputError, UnsupportedFormatError
from amparo.provenance import Evidence, ProvenanceOptions, ProvenanceReport, analyze, stamp

PIXELS = photo_like(320, 256, seed=11)


@pytest.fixture(scope="module")
def es256() -> Credentials:
    return make_credentials(key_type="es256")


@pytest.fixture(scope="module")
def ed25519() -> Credentials:
    return make_credentials(key_type="ed25519")


def _trusting(*creds: Credentials) -> ProvenanceOptions:
    return ProvenanceOptions(trust_anchors=tuple(c.root_pem for c in creds))


def _summary(report: ProvenanceReport) -> Evidence:
    return next(
        e for e in report.evidence if e.type == "c2pa" and e.source == "C2PA manifest store"
    )


def _stamp(creds: Credentials, fmt: str = "PNG", **kwargs: object) -> bytes:
    return stamp(
        encode(PIXELS, fmt),
        generator="ExampleGen 2",
        cert_pem=creds.chain_pem,
        key_pem=creds.key_pem,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("key", ["es256", "ed25519"])
def test_stamp_round_trip_is_declared_ai_and_valid(
    fmt: str, key: str, request: pytest.FixtureRequest
) -> None:
    creds: Credentials = request.getfixturevalue(key)
    report = analyze(_stamp(creds, fmt), options=_trusting(creds))
    assert report.verdict == "declared_ai"
    summary = _summary(report)
    assert (summary.validation, summary.problem) == ("valid", None)
    assert summary.attributes["signer"] == "Example AI Provider"
    actions = [e for e in report.evidence if e.source.endswith("c2pa.actions")]
    assert [(a.indicates, a.generator) for a in actions] == [("declared_ai", "ExampleGen 2")]
    assert actions[0].attributes["digital_source_type"] == "trainedAlgorithmicMedia"
    iptc = [e for e in report.evidence if e.type == "iptc"]
    assert {e.indicates for e in iptc} == {"declared_ai"}
    assert "ExampleGen 2" in report.generators


def test_stamp_keeps_pixels_without_watermark(es256: Credentials) -> None:
    assert np.array_equal(decode(_stamp(es256, "PNG")), PIXELS)


def test_without_anchors_the_signer_is_untrusted(es256: Credentials) -> None:
    report = analyze(_stamp(es256))
    assert report.verdict == "declared_ai"
    assert (_summary(report).validation, _summary(report).problem) == (
        "untrusted",
        "untrusted_signer",
    )


def test_another_providers_anchor_does_not_trust(es256: Credentials, ed25519: Credentials) -> None:
    report = analyze(_stamp(es256), options=_trusting(ed25519))
    assert _summary(report).validation == "untrusted"


def test_expired_certificate_is_invalid() -> None:
    # C2PA refuses to sign with an expired certificate, so sign with one that expires in
    # two seconds and read after it has.
    expired = make_credentials(days_valid=(-1, 0), seconds_after=2)
    manifest = {
        "claim_generator_info": [{"name": "test"}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                        }
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, expired.chain_pem, expired.key_pem, None)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder.from_json(manifest) as builder:
        builder.sign(signer, "image/png", io.BytesIO(encode(PIXELS, "PNG")), out)
    # c2pa-rs checks certificates against the system clock (it takes no validation time)
    # and refuses to sign with an expired one: the only way to an expired signer is to
    # wait out the second of validity this certificate has.
    time.sleep(max(0.0, expired.not_after - time.time() + 1.1))
    report = analyze(out.getvalue(), options=_trusting(expired))
    assert report.verdict == "declared_ai"
    assert (_summary(report).validation, _summary(report).problem) == (
        "invalid",
        "expired_certificate",
    )


def test_stamp_refuses_an_expired_certificate() -> None:
    expired = make_credentials(days_valid=(-60, -1))
    with pytest.raises(InputError, match="not valid now"):
        _stamp(expired)


def test_jpeg_edited_after_signing_is_a_hash_mismatch(es256: Credentials) -> None:
    signed = bytearray(_stamp(es256, "JPEG"))
    signed[-200] ^= 0x5A  # inside the entropy-coded image data
    report = analyze(bytes(signed), options=_trusting(es256))
    summary = _summary(report)
    assert (summary.validation, summary.problem) == ("invalid", "hash_mismatch")
    assert "hash mismatch" in summary.detail
    assert report.verdict == "declared_ai"  # the declaration is still there, marked invalid


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos : pos + 12 + length]))
        pos += 12 + length
    return chunks


def test_png_pixels_edited_after_signing(es256: Credentials) -> None:
    signed = _stamp(es256, "PNG")
    edited = PIXELS.copy()
    edited[100:140, 100:200] = 255
    new_idat = b"".join(raw for kind, raw in _png_chunks(encode(edited, "PNG")) if kind == b"IDAT")
    parts, done = [signed[:8]], False
    for kind, raw in _png_chunks(signed):
        if kind == b"IDAT":
            if not done:
                parts.append(new_idat)
                done = True
            continue
        parts.append(raw)
    report = analyze(b"".join(parts), options=_trusting(es256))
    assert _summary(report).validation == "invalid"
    assert report.verdict == "declared_ai"


@pytest.mark.parametrize("offset", [8, 120, 700, 1500])
def test_corrupted_manifest_never_raises(es256: Credentials, offset: int) -> None:
    signed = bytearray(_stamp(es256, "JPEG"))
    start = signed.find(b"\xff\xeb")
    signed[start + offset : start + offset + 64] = b"\xa5" * 64
    report = analyze(bytes(signed), options=_trusting(es256))
    c2pa_items = [e for e in report.evidence if e.type == "c2pa"]
    assert c2pa_items
    assert all(e.validation != "valid" for e in c2pa_items)
    assert report.verdict in ("declared_ai", "likely_ai", "no_ai_signal", "stripped")


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_manifest(es256: Credentials, keep: float) -> None:
    signed = _stamp(es256, "JPEG")
    start = signed.find(b"\xff\xeb")
    (length,) = struct.unpack(">H", signed[start + 2 : start + 4])
    cut = signed[: start + int(length * keep)]
    report = analyze(cut, options=_trusting(es256))
    problems = {e.problem for e in report.evidence}
    assert problems & {"manifest_unreadable", "damaged"}
    assert report.verdict == "no_ai_signal"


def test_stamp_with_watermark_survives_stripping(es256: Credentials) -> None:
    stamped = _stamp(es256, "PNG", watermark=True)
    stripped = encode(decode(stamped), "PNG")  # pixels only: manifest and XMP gone
    report = analyze(stripped)
    assert report.verdict == "likely_ai"
    (mark,) = [e for e in report.evidence if e.type == "watermark"]
    assert mark.attributes["message"] == "AmparoAI" and mark.score is not None and mark.score >= 0.9


def test_stamp_errors(es256: Credentials, ed25519: Credentials) -> None:
    png = encode(PIXELS, "PNG")
    with pytest.raises(InputError, match="does not belong"):
        stamp(png, generator="G", cert_pem=es256.chain_pem, key_pem=ed25519.key_pem)
    with pytest.raises(InputError, match="generator name"):
        stamp(png, generator=" ", cert_pem=es256.chain_pem, key_pem=es256.key_pem)
    with pytest.raises(InputError, match="JPEG"):
        _stamp(es256, "JPEG", watermark=True)
    with pytest.raises(UnsupportedFormatError):
        stamp(encode(PIXELS, "GIF"), generator="G", cert_pem=es256.chain_pem, key_pem=es256.key_pem)
    with pytest.raises(InputError, match="PEM"):
        stamp(png, generator="G", cert_pem=b"nope", key_pem=es256.key_pem)


@pytest.fixture(scope="module")
def stamped_files(es256: Credentials) -> dict[str, bytes]:
    return {fmt: _stamp(es256, fmt) for fmt in ("JPEG", "PNG", "WEBP")}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
    edits=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_manifests_never_raise(
    stamped_files: dict[str, bytes], es256: Credentials, fmt: str, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(stamped_files[fmt])
    marker = {"JPEG": b"\xff\xeb", "PNG": b"caBX", "WEBP": b"C2PA"}[fmt]
    start = data.find(marker)
    for offset, value in edits:
        data[min(start + offset, len(data) - 1)] = value
    report = analyze(bytes(data), options=_trusting(es256))
    assert report.verdict in ("declared_ai", "likely_ai", "no_ai_signal", "stripped")
