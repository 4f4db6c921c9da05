"""IPTC digital source type, AI fields and C2PA manifest references in XMP, in every container."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from provenance_factories import (
    encode,
    jpeg_with_xmp,
    minimal_mp4,
    photo_like,
    png_insert,
    text_chunk,
    tiff_with_xmp,
    xmp,
)

from amparo.provenance import analyze
from amparo.provenance._c2pa import read_c2pa
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


REMOTE = "https://manifests.example.org/store/urn:c2pa:5f1e.c2pa"


@pytest.mark.parametrize(
    "packet",
    [
        xmp(f'dcterms:provenance="{REMOTE}"'),
        xmp(elements=f"<dcterms:provenance>{REMOTE}</dcterms:provenance>"),
        xmp(elements=f'<dcterms:provenance rdf:resource="{REMOTE}"/>'),
        xmp(
            f'dcterms:provenance=" {REMOTE} "', f"<dcterms:provenance>{REMOTE}</dcterms:provenance>"
        ),
    ],
)
def test_remote_manifest_reference_is_reported(packet: bytes) -> None:
    report = analyze(jpeg_with_xmp(PIXELS, packet))
    (item,) = [e for e in report.evidence if e.type == "c2pa"]
    assert (item.problem, item.indicates, item.validation) == ("remote_manifest", "none", None)
    assert item.attributes == {"manifest_location": "remote", "url": REMOTE}
    assert item.source == "JPEG APP1 XMP: dcterms:provenance"
    assert "not fetched" in item.detail
    assert report.verdict == "no_ai_signal"


@pytest.mark.parametrize(
    "value",
    [
        "self#jumbf=/c2pa/urn:c2pa:1",
        "Donated by the artist in 1998",
        "ftp://example.org/m.c2pa",
        "",
    ],
)
def test_other_provenance_values_are_not_remote_manifests(value: str) -> None:
    report = analyze(jpeg_with_xmp(PIXELS, xmp(f'dcterms:provenance="{value}"')))
    assert not [e for e in report.evidence if e.problem == "remote_manifest"]


def test_long_remote_url_is_cut_in_the_attributes() -> None:
    url = "https://example.org/" + "a" * 2000
    report = analyze(jpeg_with_xmp(PIXELS, xmp(f'dcterms:provenance="{url}"')))
    (item,) = [e for e in report.evidence if e.problem == "remote_manifest"]
    assert len(item.attributes["url"]) == 500 and item.attributes["url"].endswith("…")


def test_remote_manifest_reference_in_tiff_and_mp4() -> None:
    packet = xmp(f'dcterms:provenance="{REMOTE}"')
    for data, source in [
        (tiff_with_xmp(PIXELS, packet), "TIFF XMP tag"),
        (minimal_mp4(xmp_packet=packet), "ISO BMFF XMP uuid box"),
    ]:
        (item,) = [e for e in analyze(data).evidence if e.problem == "remote_manifest"]
        assert item.source == f"{source}: dcterms:provenance"


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def test_remote_manifest_is_never_fetched() -> None:
    """A loopback server stands where the manifest would be; nothing may ask it for anything,
    neither Amparo nor the C2PA library when it is handed the file."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/manifest.c2pa"
        data = jpeg_with_xmp(PIXELS, xmp(f'dcterms:provenance="{url}"'))
        report = analyze(data)
        (item,) = [e for e in report.evidence if e.problem == "remote_manifest"]
        assert item.attributes["url"] == url
        # Forced through the C2PA library, which then raises for the remote manifest:
        assert read_c2pa(data, "other", store_seen=False, trust_anchors=()) == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert _Recorder.requests == []
