"""Value types of the provenance package: evidence, reports, options and the classifier seam.

Every reader in this package turns one kind of trace into :class:`Evidence` items; the verdict
is then a pure function of those items (:func:`verdict_of`). Nothing here does I/O.

Prompts found in generator metadata are evidence too, so they are kept in
:attr:`Evidence.prompt`, but they never appear in ``repr`` (and so never in logs) and
:meth:`ProvenanceReport.to_dict` leaves them out unless asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "AI_SOURCE_TYPES",
    "Classifier",
    "ClassifierResult",
    "Evidence",
    "EvidenceType",
    "Indication",
    "ProvenanceOptions",
    "ProvenanceReport",
    "Verdict",
    "source_type_of",
    "verdict_of",
]

Verdict = Literal["declared_ai", "likely_ai", "no_ai_signal", "stripped"]
#: ``media`` covers file-level problems (empty, damaged container) that stop other readers.
EvidenceType = Literal[
    "c2pa", "iptc", "generator_metadata", "watermark", "classifier", "stripped", "media"
]
#: What one evidence item says on its own. ``none`` covers "checked, nothing found", problems
#: that say nothing about AI, and declarations of non-AI sources (never a "not AI" verdict).
Indication = Literal["declared_ai", "likely_ai", "stripped", "none"]

#: IPTC digital source types (last URI segment, lower-cased) that mean generative AI made or
#: edited the media. ``algorithmicmedia`` (pure algorithms, e.g. fractals) is not generative AI.
AI_SOURCE_TYPES = frozenset(
    {"trainedalgorithmicmedia", "compositewithtrainedalgorithmicmedia", "compositesynthetic"}
)

_RANK: Mapping[Indication, int] = {"declared_ai": 3, "likely_ai": 2, "stripped": 1, "none": 0}
_VERDICT_OF: Mapping[Indication, Verdict] = {
    "declared_ai": "declared_ai",
    "likely_ai": "likely_ai",
    "stripped": "stripped",
    "none": "no_ai_signal",
}


def source_type_of(value: str) -> str:
    """The last segment of a digital source type URI or term, e.g. ``trainedAlgorithmicMedia``.

    Accepts full IPTC URIs, C2PA-style terms and bare names; strips whitespace and trailing
    slashes. Compare the result case-insensitively (it keeps the original case for display).
    """
    stripped = value.strip().rstrip("/")
    for separator in ("/", "#", ":"):
        stripped = stripped.rsplit(separator, 1)[-1]
    return stripped


@dataclass(frozen=True)
class Evidence:
    """One trace found in (or checked for in) a file.

    ``type`` is the kind of trace, ``source`` where it was read (e.g. ``"PNG tEXt
    'parameters'"``), ``detail`` a person-readable sentence that never contains a prompt.
    ``indicates`` is what this item alone suggests; ``problem`` is a stable code when the
    trace was present but unreadable, invalid or skipped (e.g. ``"hash_mismatch"``,
    ``"not_xml"``, ``"too_large"``). ``score`` is a bit agreement (watermarks) or a
    classifier score, in [0, 1]. ``attributes`` holds short, non-prompt facts (signer, claim
    generator, digital source type, model hash...). ``prompt`` is kept out of ``repr``.
    """

    type: EvidenceType
    source: str
    detail: str
    indicates: Indication = "none"
    generator: str | None = None
    model: str | None = None
    validation: Literal["valid", "invalid", "untrusted"] | None = None
    problem: str | None = None
    score: float | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    prompt: str | None = field(default=None, repr=False)

    def to_dict(self, *, include_prompts: bool = False) -> dict[str, object]:
        """A JSON-ready dict; ``prompt`` only with ``include_prompts=True`` and when present."""
        body: dict[str, object] = {
            "type": self.type,
            "source": self.source,
            "detail": self.detail,
            "indicates": self.indicates,
        }
        optional: dict[str, object | None] = {
            "generator": self.generator,
            "model": self.model,
            "validation": self.validation,
            "problem": self.problem,
            "score": self.score,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        if self.attributes:
            body["attributes"] = dict(self.attributes)
        if include_prompts and self.prompt is not None:
            body["prompt"] = self.prompt
        return body


def verdict_of(evidence: Sequence[Evidence]) -> Verdict:
    """The verdict rule: the strongest indication wins.

    ``declared_ai`` > ``likely_ai`` > ``stripped`` > ``no_ai_signal``. A declared non-AI
    source never lowers the verdict: absence of an AI signal is only that.
    """
    best: Indication = "none"
    for item in evidence:
        if _RANK[item.indicates] > _RANK[best]:
            best = item.indicates
    return _VERDICT_OF[best]


@dataclass(frozen=True)
class ProvenanceReport:
    """The verdict for one file and every evidence item behind it, in reading order."""

    verdict: Verdict
    evidence: tuple[Evidence, ...]

    @property
    def generators(self) -> tuple[str, ...]:
        """Distinct generator names named by the evidence, in order of first mention."""
        names = (item.generator for item in self.evidence if item.generator)
        return tuple(dict.fromkeys(names))

    def to_dict(self, *, include_prompts: bool = False) -> dict[str, object]:
        """A JSON-ready dict. API responses use the default; the stored scan record uses
        ``include_prompts=True`` because prompts are evidence."""
        return {
            "verdict": self.verdict,
            "generators": list(self.generators),
            "evidence": [item.to_dict(include_prompts=include_prompts) for item in self.evidence],
        }


@dataclass(frozen=True)
class ClassifierResult:
    """What an external classifier said: ``score`` in [0, 1] that the media is AI-made."""

    score: float
    label: str


@runtime_checkable
class Classifier(Protocol):
    """An AI-image detector run by an external, vetted service (nothing is trained here).

    ``classify`` may raise; :func:`amparo.provenance.analyze` turns any exception into a
    ``classifier`` evidence item with ``problem="classifier_failed"``. Don't log the media.
    """

    @property
    def name(self) -> str: ...

    def classify(self, data: bytes) -> ClassifierResult: ...


@dataclass(frozen=True)
class ProvenanceOptions:
    """How :func:`amparo.provenance.analyze` reads a file.

    ``trust_anchors``: PEM bundles of root certificates whose C2PA signers count as valid;
    with none, every signed manifest is at best ``untrusted``. ``classifiers`` run in order;
    a score at or above ``classifier_threshold`` indicates ``likely_ai``.
    ``watermark_formats`` lists the formats whose pixels are decoded for the Stable Diffusion
    watermark check (lossless ones by default: see :mod:`amparo.provenance._watermark`).
    Size caps bound memory on hostile files: text/XMP/EXIF items over ``max_text_bytes``
    (after decompression) are reported, not read.
    """

    trust_anchors: tuple[bytes, ...] = ()
    classifiers: tuple[Classifier, ...] = ()
    classifier_threshold: float = 0.9
    watermark_check: bool = True
    watermark_formats: frozenset[str] = frozenset({"png", "webp"})
    watermark_threshold: float = 0.9
    watermark_max_pixels: int = 16_777_216
    max_text_bytes: int = 1_048_576
    max_stealth_bytes: int = 1_048_576
    max_c2pa_file_bytes: int = 200 * 1_048_576
