"""``analyze``: every provenance reader over one file, then the verdict rule.

Order: container walk (no pixels) -> C2PA -> XMP/IPTC -> generator metadata -> pixel checks
(NovelAI alpha stealth, SD watermark; one decode through :mod:`amparo.media`, only when a
check applies, none when the caller passes the scan's own decode) -> external classifiers.
Each stage runs under its own guard, so a failure in one becomes an evidence item of that
stage's type and the others still run: ``analyze`` never raises for bad media.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from amparo.config import MediaLimits
from amparo.media import DecodedImage
from amparo.provenance._base import (
    Evidence,
    EvidenceType,
    ProvenanceOptions,
    ProvenanceReport,
    verdict_of,
)
from amparo.provenance._c2pa import read_c2pa
from amparo.provenance._containers import Container, Oversized, read_container
from amparo.provenance._generators import read_generators
from amparo.provenance._pixels import Pixels, decode_pixels
from amparo.provenance._stealth import read_stealth
from amparo.provenance._watermark import MIN_PIXELS, read_watermarks
from amparo.provenance._xmp import read_xmp, xmp_references_c2pa

__all__ = ["analyze"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_GENERATOR_KEYS = frozenset(
    {"parameters", "prompt", "workflow", "invokeai_metadata", "sd-metadata", "Dream"}
)


def analyze(
    data: bytes,
    *,
    options: ProvenanceOptions | None = None,
    pixels: DecodedImage | None = None,
    limits: MediaLimits | None = None,
) -> ProvenanceReport:
    """The provenance verdict of ``data`` with all its evidence.

    Never raises for bad media or metadata: every problem becomes a typed evidence item.
    Never logs prompts (nor any metadata text); the report carries them for the caller.

    Pixels (for the alpha-stealth and watermark checks) are only ever read through
    :mod:`amparo.media`. ``pixels`` is a decode of these same ``data`` the caller already
    has, e.g. from ``hash_media(data, limits, keep_pixels=True)``: when it holds every
    stored pixel (:attr:`DecodedImage.full_resolution`, as for a PNG or WebP the hash decoded
    whole), it is used and nothing is decoded again; otherwise (a JPEG's reduced decode, an
    image too large to decode whole, ``None``) ``data`` is decoded here if a check needs it,
    with ``limits`` (default :class:`MediaLimits`; pass the server's). Don't pass a decode
    of other bytes: its pixels would be reported as these. Problems the decoder worked
    around (an ancillary chunk with a bad CRC, a truncated image) become ``media`` evidence.
    """
    opts = options or ProvenanceOptions()
    evidence: list[Evidence] = []
    if not data:
        evidence.append(Evidence("media", "file", "file is empty", problem="empty"))
        return ProvenanceReport(verdict_of(evidence), tuple(evidence))
    container = _guarded(evidence, "media", lambda _: None, _container, data, opts)
    if container is None:
        return ProvenanceReport(verdict_of(evidence), tuple(evidence))
    evidence.extend(_container_problems(container))
    _guarded(evidence, "c2pa", evidence.extend, _c2pa, data, container, opts)
    _guarded(evidence, "iptc", evidence.extend, _iptc, container, _manifest_read(evidence))
    _guarded(evidence, "generator_metadata", evidence.extend, read_generators, container)
    _guarded(
        evidence,
        "watermark",
        evidence.extend,
        _pixel_checks,
        data,
        container,
        opts,
        pixels,
        limits or MediaLimits(),
    )
    _guarded(evidence, "classifier", evidence.extend, _classifiers, data, opts)
    return ProvenanceReport(verdict_of(evidence), tuple(evidence))


def _guarded(
    evidence: list[Evidence],
    stage: EvidenceType,
    sink: Callable[[R], object],
    reader: Callable[P, R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R | None:
    """Run one stage; an unexpected exception becomes evidence of that stage, not a crash."""
    try:
        result = reader(*args, **kwargs)
    except Exception as exc:
        log.warning("provenance stage %s failed: %s", stage, type(exc).__name__)
        evidence.append(
            Evidence(
                type=stage,
                source="amparo",
                detail=f"{stage} check failed on this file ({type(exc).__name__})",
                problem="check_failed",
            )
        )
        return None
    sink(result)
    return result


def _container(data: bytes, opts: ProvenanceOptions) -> Container:
    return read_container(data, max_text_bytes=opts.max_text_bytes)


def _container_problems(container: Container) -> Iterable[Evidence]:
    for problem in container.problems:
        yield Evidence("media", f"{container.format} container", problem, problem="damaged")
    for item in container.oversized:
        yield _oversized(item, container)


def _oversized(item: Oversized, container: Container) -> Evidence:
    is_generator_key = item.key in _GENERATOR_KEYS
    kind: EvidenceType = (
        "iptc" if item.key in ("xmp", "XML:com.adobe.xmp") else "generator_metadata"
    )
    detail = f"{item.source} is {item.size} bytes, over the size cap; not read"
    if is_generator_key:
        detail += " (its name is a generator's metadata key)"
    return Evidence(
        type=kind,
        source=item.source,
        detail=detail,
        indicates="likely_ai" if is_generator_key else "none",
        problem="too_large",
        attributes={"size": str(item.size), "format": container.format},
    )


def _c2pa(data: bytes, container: Container, opts: ProvenanceOptions) -> list[Evidence]:
    if len(data) > opts.max_c2pa_file_bytes and container.c2pa_store:
        return [
            Evidence(
                "c2pa",
                "C2PA manifest store",
                f"file of {len(data)} bytes is over the C2PA size cap; manifest not validated",
                problem="too_large",
            )
        ]
    return read_c2pa(
        data, container.format, store_seen=container.c2pa_store, trust_anchors=opts.trust_anchors
    )


def _manifest_read(evidence: list[Evidence]) -> bool:
    """Whether the C2PA stage read a manifest (every item it makes then has a validation)."""
    return any(item.type == "c2pa" and item.validation is not None for item in evidence)


def _iptc(container: Container, manifest_read: bool) -> list[Evidence]:
    """XMP evidence, and ``stripped`` when XMP points at an embedded manifest that neither the
    container walk nor the C2PA reader found (formats the walk does not know are still read
    by the C2PA library, so its finding counts too)."""
    evidence = [item for packet in container.xmp for item in read_xmp(packet)]
    if not container.c2pa_store and not manifest_read and xmp_references_c2pa(container.xmp):
        evidence.append(
            Evidence(
                type="stripped",
                source="XMP dcterms:provenance",
                detail="XMP points at an embedded C2PA manifest that is no longer there",
                indicates="stripped",
                problem="manifest_removed",
            )
        )
    return evidence


def _decode_problems(problems: Iterable[str]) -> list[Evidence]:
    return [Evidence("media", "pixels", problem, problem="damaged") for problem in problems]


def _pixel_checks(
    data: bytes,
    container: Container,
    opts: ProvenanceOptions,
    shared: DecodedImage | None,
    limits: MediaLimits,
) -> list[Evidence]:
    want_stealth = container.has_alpha and container.format in ("png", "webp")
    want_watermark = opts.watermark_check and container.format in opts.watermark_formats
    if not (want_stealth or want_watermark):
        reported = _decode_problems(shared.problems) if shared is not None else []
        if opts.watermark_check:
            reported.append(_watermark_skipped(container.format, opts.watermark_formats))
        return reported
    pixels = decode_pixels(
        data,
        max_pixels=opts.watermark_max_pixels,
        want_alpha=want_stealth,
        limits=limits,
        shared=shared,
    )
    if isinstance(pixels, str):
        return [Evidence("watermark", "pixels", pixels, problem="not_decoded")]
    evidence = _decode_problems(pixels.problems)
    if want_stealth and pixels.alpha is not None:
        found = read_stealth(pixels.alpha, max_bytes=opts.max_stealth_bytes)
        if found is not None:
            evidence.append(found)
    if want_watermark:
        evidence.append(_watermark(pixels, opts))
    return evidence


def _watermark_skipped(fmt: str, formats: frozenset[str]) -> Evidence:
    checked = ", ".join(sorted(formats)) or "none"
    return Evidence(
        type="watermark",
        source="pixels",
        detail=f"SD watermark check not run on {fmt} files (checked: {checked}; JPEG "
        "compression erases the mark)",
        problem="skipped_format",
    )


def _watermark(pixels: Pixels, opts: ProvenanceOptions) -> Evidence:
    height, width = pixels.rgb.shape[:2]
    if height * width < MIN_PIXELS:
        return Evidence(
            "watermark", "pixels", "image under 256x256 pixels: too small", problem="too_small"
        )
    best = read_watermarks(pixels.rgb)[0]
    score = round(best.agreement, 4)
    if best.agreement >= opts.watermark_threshold:
        return Evidence(
            type="watermark",
            source="pixels (dwtDct, U channel)",
            detail=f"invisible watermark {best.message!r} found, {score:.0%} of bits agree",
            indicates="likely_ai",
            generator=best.generator or None,
            score=score,
            attributes={"message": best.message, "reading": best.reading},
        )
    return Evidence(
        type="watermark",
        source="pixels (dwtDct, U channel)",
        detail=f"no known invisible watermark (best: {best.message!r} at {score:.0%} of bits)",
        score=score,
    )


def _classifiers(data: bytes, opts: ProvenanceOptions) -> list[Evidence]:
    evidence = []
    for classifier in opts.classifiers:
        name = str(getattr(classifier, "name", type(classifier).__name__))[:100]
        try:
            result = classifier.classify(data)
            score = float(result.score)
        except Exception as exc:  # an external service: any failure is evidence, not a crash
            evidence.append(
                Evidence(
                    "classifier",
                    name,
                    f"classifier {name} failed ({type(exc).__name__})",
                    problem="classifier_failed",
                )
            )
            continue
        if not 0.0 <= score <= 1.0:
            evidence.append(
                Evidence(
                    "classifier",
                    name,
                    f"classifier {name} returned an out-of-range score",
                    problem="bad_score",
                )
            )
            continue
        flagged = score >= opts.classifier_threshold
        evidence.append(
            Evidence(
                type="classifier",
                source=name,
                detail=f"classifier {name}: {result.label[:100]} (score {score:.2f})",
                indicates="likely_ai" if flagged else "none",
                score=score,
                attributes={"label": result.label[:100]},
            )
        )
    return evidence
