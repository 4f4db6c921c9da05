"""AI provenance: evidence that media was made or edited by generative AI, and stamping.

:func:`analyze` reads C2PA manifests (validated against configurable trust anchors), IPTC
digital source types and AI fields in XMP, the metadata AI generators write (A1111/Forge,
ComfyUI, InvokeAI, Fooocus, NovelAI incl. its alpha-channel stealth form, Midjourney,
known ``Software`` tags), the Stable Diffusion ``dwtDct`` invisible watermarks, and any
external :class:`Classifier`. It returns a :class:`ProvenanceReport`: one verdict
(``declared_ai`` > ``likely_ai`` > ``stripped`` > ``no_ai_signal``) and every
:class:`Evidence` item behind it. It never says "not AI": absence of a signal is only that.

:func:`stamp` is for AI providers: it labels their output with a signed C2PA manifest
declaring ``trainedAlgorithmicMedia``, the IPTC XMP field and, optionally, a watermark.

This package reports evidence; it takes no decisions (that is ``policy``'s job) and logs
no prompts.
"""

from amparo.provenance._analyze import analyze
from amparo.provenance._base import (
    AI_SOURCE_TYPES,
    Classifier,
    ClassifierResult,
    Evidence,
    EvidenceType,
    Indication,
    ProvenanceOptions,
    ProvenanceReport,
    Verdict,
    verdict_of,
)
from amparo.provenance._credentials import Credentials, make_credentials
from amparo.provenance._stamp import stamp

__all__ = [
    "AI_SOURCE_TYPES",
    "Classifier",
    "ClassifierResult",
    "Credentials",
    "Evidence",
    "EvidenceType",
    "Indication",
    "ProvenanceOptions",
    "ProvenanceReport",
    "Verdict",
    "analyze",
    "make_credentials",
    "stamp",
    "verdict_of",
]
