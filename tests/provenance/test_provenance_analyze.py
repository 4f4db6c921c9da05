"""``analyze`` as a whole: negative controls, hostile input, classifiers, the verdict rule."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provenance_factories import (
    decode,
    encode,
    jpeg_with_xmp,
    photo_like,
    png_chunk,
    png_insert,
    png_with_text,
    with_exif,
    xmp,
)

import amparo.provenance as provenance
from amparo.provenance import (
    ClassifierResult,
    Evidence,
    ProvenanceOptions,
    analyze,
    verdict_of,
)

PIXELS = photo_like(320, 256, seed=21)
VERDICTS = {"declared_ai", "likely_ai", "no_ai_signal", "stripped"}


def test_public_api_is_complete() -> None:
    public = {name for name in dir(provenance) if not name.startswith("_")}
    assert public - {"annotations"} <= set(provenance.__all__)
    for name in provenance.__all__:
        assert hasattr(provenance, name)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_camera_like_image_and_stripped_copy_are_no_ai_signal(fmt: str) -> None:
    camera = with_exif(
        PIXELS,
        fmt,
        {0x010F: "Canon", 0x0110: "EOS R6", 0x0131: "Firmware 1.8.1"},
        {0x829A: 1 / 250},
    )
    stripped = encode(decode(camera), fmt)
    for data in (camera, stripped):
        report = analyze(data)
        assert report.verdict == "no_ai_signal"
        assert all(item.indicates == "none" for item in report.evidence)


def test_stripped_ai_image_has_no_signal_left() -> None:
    marked = png_with_text(PIXELS, {"parameters": "x\nSteps: 20, Sampler: Euler, Model: m"})
    assert analyze(marked).verdict == "likely_ai"
    assert analyze(encode(decode(marked), "PNG")).verdict == "no_ai_signal"


def test_png_with_a_100_mb_text_chunk_is_capped() -> None:
    size = 100 * 1024 * 1024
    header = struct.pack(">I", size) + b"tEXt" + b"parameters\x00"
    huge = header + b"a" * (size - len(b"parameters\x00")) + b"\x00\x00\x00\x00"
    report = analyze(png_insert(encode(PIXELS, "PNG"), huge))
    (item,) = [e for e in report.evidence if e.problem == "too_large"]
    assert item.type == "generator_metadata"
    assert int(item.attributes["size"]) > 100_000_000
    assert report.verdict == "likely_ai"  # a 'parameters' chunk is a generator's key
    watermark = [e for e in report.evidence if e.type == "watermark"]
    assert watermark and watermark[0].problem is None  # pixels still checked


def test_zip_bomb_text_chunk_is_capped() -> None:
    import zlib

    bomb = zlib.compress(b"\x00" * (20 * 1024 * 1024), 9)
    data = png_insert(encode(PIXELS, "PNG"), png_chunk(b"zTXt", b"Comment\x00\x00" + bomb))
    report = analyze(data)
    assert report.verdict == "no_ai_signal"
    assert any("does not decompress" in e.detail for e in report.evidence)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"RIFF\x00\x00\x00\x00WEBP",
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 2**31) + b"tEXt",
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    report = analyze(data)
    assert report.verdict in VERDICTS
    json.dumps(report.to_dict(include_prompts=True))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_files_never_raise(fmt: str) -> None:
    data = encode(PIXELS, fmt)
    for cut in (len(data) // 10, len(data) // 2, len(data) - 5):
        assert analyze(data[:cut]).verdict in VERDICTS


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(["png_text", "jpeg_xmp", "webp"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
)
def test_mutated_files_never_raise(base: str, edits: list[tuple[int, int]]) -> None:
    small = PIXELS[:64, :64]
    data = bytearray(
        {
            "png_text": lambda: png_with_text(small, {"parameters": "p\nSteps: 1, Model: m"}),
            "jpeg_xmp": lambda: jpeg_with_xmp(small, xmp('Iptc4xmpExt:DigitalSourceType="x/y"')),
            "webp": lambda: encode(small, "WEBP"),
        }[base]()
    )
    for position, value in edits:
        data[position % len(data)] = value
    assert analyze(bytes(data)).verdict in VERDICTS


class FakeClassifier:
    def __init__(self, score: float, *, fail: bool = False) -> None:
        self.name = "fake-detector"
        self._score, self._fail = score, fail
        self.calls = 0

    def classify(self, data: bytes) -> ClassifierResult:
        self.calls += 1
        if self._fail:
            raise TimeoutError("service unavailable")
        return ClassifierResult(
            score=self._score, label="synthetic" if self._score > 0.5 else "real"
        )


@pytest.mark.parametrize(
    ("score", "fail", "verdict", "problem"),
    [
        (0.97, False, "likely_ai", None),
        (0.40, False, "no_ai_signal", None),
        (1.5, False, "no_ai_signal", "bad_score"),
        (0.0, True, "no_ai_signal", "classifier_failed"),
    ],
)
def test_classifiers(score: float, fail: bool, verdict: str, problem: str | None) -> None:
    fake = FakeClassifier(score, fail=fail)
    assert isinstance(fake, provenance.Classifier)
    report = analyze(encode(PIXELS, "JPEG"), options=ProvenanceOptions(classifiers=(fake,)))
    assert fake.calls == 1
    assert report.verdict == verdict
    (item,) = [e for e in report.evidence if e.type == "classifier"]
    assert (item.source, item.problem) == ("fake-detector", problem)


INDICATIONS = st.sampled_from(["declared_ai", "likely_ai", "stripped", "none"])


@given(st.lists(INDICATIONS, max_size=6))
def test_verdict_is_the_strongest_indication(indications: list[str]) -> None:
    evidence = [Evidence("iptc", "s", "d", indicates=i) for i in indications]  # type: ignore[arg-type]
    verdict = verdict_of(evidence)
    order = ["none", "stripped", "likely_ai", "declared_ai"]
    strongest = max(indications, key=order.index, default="none")
    assert verdict == ("no_ai_signal" if strongest == "none" else strongest)
    # adding a non-AI item never lowers it
    assert verdict_of([*evidence, Evidence("iptc", "s", "digitalCapture")]) == verdict


def test_report_to_dict_shape() -> None:
    report = analyze(png_with_text(PIXELS, {"parameters": "secret words\nSteps: 2, Model: m1"}))
    body = report.to_dict()
    assert body["verdict"] == "likely_ai"
    assert body["generators"] == ["Stable Diffusion WebUI (Automatic1111)"]
    assert "secret words" not in json.dumps(body)
    assert "secret words" in json.dumps(report.to_dict(include_prompts=True))
