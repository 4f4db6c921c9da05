"""IPTC provenance in XMP: ``Iptc4xmpExt:DigitalSourceType`` and the IPTC 2025 AI fields.

The digital source type is matched on its last URI segment, case-insensitively, so
``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` and a bare
``trainedalgorithmicmedia`` both count. ``algorithmicMedia`` is reported but is not generative
AI. XMP that is not XML is reported (``problem="not_xml"``) and then searched as text for a
source type URI, so a damaged packet loses nothing it still says. Packets with a DTD are
refused before parsing (no entity expansion on hostile input).

``dcterms:provenance`` is where C2PA points at a manifest: ``self#jumbf=...`` for an
embedded one (checked against the container walk by :func:`xmp_references_c2pa`) or an
http(s) URL for a remote one. A remote reference is reported as ``c2pa`` evidence with
``problem="remote_manifest"`` and the URL in ``attributes``, and is never fetched: fetching
would let any uploaded file make this service call an address of the uploader's choosing.
It indicates nothing about AI on its own (the manifest it names is unread).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from amparo.provenance._base import AI_SOURCE_TYPES, Evidence, source_type_of
from amparo.provenance._containers import Blob

__all__ = ["read_xmp", "xmp_references_c2pa"]

_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
_DCTERMS_PROVENANCE = "{http://purl.org/dc/terms/}provenance"
_REMOTE_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_MAX_URL = 500
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_AI_FIELDS = ("AISystemUsed", "AISystemVersionUsed", "AIPromptInformation", "AIPromptWriterName")
_SOURCE_TYPE_TEXT = re.compile(rb"digitalsourcetype/([A-Za-z]+)", re.IGNORECASE)
_C2PA_REFERENCE = re.compile(rb"provenance[^<]{0,200}self#jumbf=", re.IGNORECASE)


def xmp_references_c2pa(packets: tuple[Blob, ...]) -> bool:
    """True when XMP points at an embedded C2PA manifest (``dcterms:provenance`` with a
    ``self#jumbf=`` URI; a remote manifest URL does not count)."""
    return any(_C2PA_REFERENCE.search(packet.data) for packet in packets)


def read_xmp(packet: Blob) -> list[Evidence]:
    """Evidence from one XMP packet: IPTC provenance and remote C2PA manifest references;
    an empty list when it holds neither."""
    text = packet.data.strip(b"\x00 \t\r\n")
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        return [_damaged(packet, "refused_dtd", "XMP packet declares a DTD; refused unparsed")]
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [_damaged(packet, "not_xml", f"XMP packet is not well-formed XML ({exc})")]
    values = dict(_iptc_values(root))
    evidence: list[Evidence] = list(_remote_manifests(root, packet.source))
    if "DigitalSourceType" in values:
        evidence.append(_source_type_evidence(values["DigitalSourceType"], packet.source))
    ai_fields = {name: values[name] for name in _AI_FIELDS if name in values}
    if ai_fields:
        system = ai_fields.get("AISystemUsed")
        version = ai_fields.get("AISystemVersionUsed")
        named = system or "an unnamed AI system"
        evidence.append(
            Evidence(
                type="iptc",
                source=f"{packet.source}: IPTC AI fields",
                detail=f"IPTC 2025 AI fields say {named} was used",
                indicates="declared_ai" if system else "likely_ai",
                generator=system,
                model=version,
                attributes={k: v for k, v in ai_fields.items() if k != "AIPromptInformation"},
                prompt=ai_fields.get("AIPromptInformation"),
            )
        )
    return evidence


def _remote_manifests(root: ET.Element, source: str) -> Iterator[Evidence]:
    """One item per distinct http(s) URL in ``dcterms:provenance`` (attribute or element)."""
    values = [value for element in root.iter() for value in _provenance_values(element)]
    for url in dict.fromkeys(value.strip() for value in values):
        if not _REMOTE_URL.fullmatch(url):
            continue  # self#jumbf= (embedded) or a free-text provenance statement
        shown = url if len(url) <= _MAX_URL else url[: _MAX_URL - 1] + "…"
        yield Evidence(
            type="c2pa",
            source=f"{source}: dcterms:provenance",
            detail="XMP points at a remote C2PA manifest; it was not fetched",
            problem="remote_manifest",
            attributes={"manifest_location": "remote", "url": shown},
        )


def _provenance_values(element: ET.Element) -> Iterator[str]:
    if _DCTERMS_PROVENANCE in element.attrib:
        yield element.attrib[_DCTERMS_PROVENANCE]
    if element.tag == _DCTERMS_PROVENANCE:
        yield _element_value(element)


def _source_type_evidence(value: str, source: str) -> Evidence:
    term = source_type_of(value)
    lowered = term.lower()
    if lowered in AI_SOURCE_TYPES:
        return Evidence(
            type="iptc",
            source=f"{source}: Iptc4xmpExt:DigitalSourceType",
            detail=f"IPTC digital source type {term}: made or edited by generative AI",
            indicates="declared_ai",
            attributes={"digital_source_type": term},
        )
    note = " (algorithmic, not generative AI)" if lowered == "algorithmicmedia" else ""
    return Evidence(
        type="iptc",
        source=f"{source}: Iptc4xmpExt:DigitalSourceType",
        detail=f"IPTC digital source type {term}{note}",
        attributes={"digital_source_type": term},
    )


def _iptc_values(root: ET.Element) -> Iterator[tuple[str, str]]:
    """(local name, value) of every Iptc4xmpExt property, as attribute or element.

    Element values may be text, an ``rdf:resource`` attribute, or the first ``rdf:li`` of an
    ``rdf:Alt``/``rdf:Bag``/``rdf:Seq`` (language alternatives).
    """
    prefix = "{" + _IPTC_EXT + "}"
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.startswith(prefix):
                yield name[len(prefix) :], value
        if isinstance(element.tag, str) and element.tag.startswith(prefix):
            yield element.tag[len(prefix) :], _element_value(element)


def _element_value(element: ET.Element) -> str:
    resource = element.attrib.get(f"{{{_RDF}}}resource")
    if resource:
        return resource
    for item in element.iter(f"{{{_RDF}}}li"):
        if item.text and item.text.strip():
            return item.text.strip()
    return (element.text or "").strip()


def _damaged(packet: Blob, problem: str, detail: str) -> Evidence:
    """A damaged packet, plus what a plain-text search still finds in it."""
    found = _SOURCE_TYPE_TEXT.search(packet.data)
    if found is None:
        return Evidence(type="iptc", source=packet.source, detail=detail, problem=problem)
    term = found.group(1).decode("ascii")
    is_ai = term.lower() in AI_SOURCE_TYPES
    return Evidence(
        type="iptc",
        source=packet.source,
        detail=f"{detail}; its text names digital source type {term}",
        indicates="likely_ai" if is_ai else "none",
        problem=problem,
        attributes={"digital_source_type": term},
    )
