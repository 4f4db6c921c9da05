"""IPTC digital source type and AI fields in XMP (JPEG APP1, PNG iTXt, WebP XMP chunk)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provenance_factories import encode, jpeg_with_xmp, photo_like, png_insert, text_chunk, xmp

from amparo.provenance import analyze
from amparo.provenance._embed_xmp import with_xmp

IPTC_URI = "http://cv.iptc.org/newscodes/digitalsourcetype/"
PIXELS = photo_like(256, 256, seed=5)


def _dst_attr(term: str) -> bytes:
    return xmp(f'Iptc4xmpExt:DigitalSourceType="{IPTC_URI}{term}"')


@pytest.mark.parametrize(
    "term",
    ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"],
)
def test_ai_source_types_are_declarations(term: str) -> None:
    report = analyze(jpeg_with_xmp(PIXELS, _dst_attr(term)))
    assert report.verdict == "declared_ai"
    (item,) = [e for e in report.evidence if e.type == "iptc"]
    assert item.attributes["digital_source_type"] == term


@pytest.mark.parametrize("term", ["algorithmicMedia", "digitalCapture", "compositeCapture"])
def test_other_source_types_are_no_ai_signal(term: str) -> None:
    report = analyze(jpeg_with_xmp(PIXELS, _dst_attr(term)))
    assert report.verdict == "no_ai_signal"
    (item,) = [e for e in report.evidence if e.type == "iptc"]
    assert item.indicates == "none"
    if term == "algorithmicMedia":
        assert "not generative AI" in item.detail


@settings(max_examples=30, deadline=None)
@given(
    term=st.sampled_from(
        ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"]
    ),
    flips=st.lists(st.booleans(), min_size=40, max_size=40),
    form=st.sampled_from(["uri", "bare", "resource", "element"]),
)
def test_last_segment_matches_case_insensitively(term: str, flips: list[bool], form: str) -> None:
    cased = "".join(c.upper() if f else c.lower() for c, f in zip(term, flips, strict=False))
    cased += term[len(flips) :]
    value = cased if form == "bare" else IPTC_URI + cased
    if form == "resource":
        packet = xmp(elements=f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{value}"/>')
    elif form == "element":
        packet = xmp(
            elements=f"<Iptc4xmpExt:DigitalSourceType>{value}</Iptc4xmpExt:DigitalSourceType>"
        )
    else:
        packet = xmp(f'Iptc4xmpExt:DigitalSourceType="{value}"')
    assert analyze(jpeg_with_xmp(PIXELS, packet)).verdict == "declared_ai"


def test_iptc_2025_ai_fields() -> None:
    packet = xmp(
        'Iptc4xmpExt:AISystemUsed="ExampleGen" Iptc4xmpExt:AISystemVersionUsed="2.1"',
        "<Iptc4xmpExt:AIPromptInformation>a blue teapot</Iptc4xmpExt:AIPromptInformation>",
    )
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    assert report.verdict == "declared_ai"
    (item,) = [e for e in report.evidence if e.type == "iptc"]
    assert (item.generator, item.model, item.prompt) == ("ExampleGen", "2.1", "a blue teapot")
    assert "AIPromptInformation" not in item.attributes
    assert "teapot" not in str(report.to_dict())


def test_xmp_in_png_itxt_and_webp() -> None:
    png = png_insert(
        encode(PIXELS, "PNG"),
        text_chunk("XML:com.adobe.xmp", _dst_attr("trainedAlgorithmicMedia").decode(), "iTXt"),
    )
    assert analyze(png).verdict == "declared_ai"
    webp = with_xmp(encode(PIXELS, "WEBP"), "webp", _dst_attr("trainedAlgorithmicMedia"))
    assert analyze(webp).verdict == "declared_ai"


def test_xmp_that_is_not_xml() -> None:
    packet = b"<x:xmpmeta><rdf:RDF><unclosed " + IPTC_URI.encode() + b"trainedAlgorithmicMedia"
    packet += b" </x:xmpmeta>"
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    (item,) = [e for e in report.evidence if e.type == "iptc"]
    assert item.problem == "not_xml"
    assert report.verdict == "likely_ai"  # the damaged packet still names an AI source type


def test_binary_garbage_xmp() -> None:
    packet = b"<x:xmpmeta>" + np.random.default_rng(3).bytes(500) + b"</x:xmpmeta>"
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    assert report.verdict == "no_ai_signal"
    assert [e.problem for e in report.evidence if e.type == "iptc"] == ["not_xml"]


def test_xmp_with_entities_is_refused() -> None:
    packet = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>'
    )
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    assert [e.problem for e in report.evidence if e.type == "iptc"] == ["refused_dtd"]


def test_manifest_reference_without_manifest_is_stripped() -> None:
    packet = xmp('dcterms:provenance="self#jumbf=/c2pa/urn:c2pa:1234"')
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    assert report.verdict == "stripped"
    (item,) = [e for e in report.evidence if e.type == "stripped"]
    assert item.problem == "manifest_removed"


def test_remote_manifest_reference_is_not_stripped() -> None:
    packet = xmp('dcterms:provenance="https://example.org/manifests/1.c2pa"')
    assert analyze(jpeg_with_xmp(PIXELS, packet)).verdict == "no_ai_signal"
