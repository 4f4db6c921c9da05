"""The facts a report needs, taken from a scan when a policy asks for the report.

A draft is made at the moment of the decision, in the scan's transaction: later changes to a
bank entry or to the content's metadata must not change what the report says happened. It
holds hashes, matches, provenance and the caller's metadata — never media.

Field names follow the receiving schema, so the sender only reshapes:
- ``ncmec``: the CyberTipline report schema (``standards/ncmec/cybertipline-report.xsd``):
  ``incidentSummary/incidentType``, ``incidentDateTime``, per file ``fileDetails`` with
  ``originalFileName``, the hashes, and the ``generativeAi`` annotation.
- ``dsa``: a statement of reasons for the DSA Transparency Database
  (``standards/dsa-tdb.md``): ``category``, ``category_specification``,
  ``decision_visibility``, ``decision_ground``, ``automated_detection`` ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amparo.scan import ScanRecord

__all__ = ["REPORT_KINDS", "report_facts"]

REPORT_KINDS = ("ncmec", "dsa")
"""What a policy's ``report`` action may ask for."""

_AI_VERDICTS = frozenset({"declared_ai", "likely_ai"})
_NCMEC_INCIDENT = "Child Pornography (possession, manufacture, and distribution)"


def _common(record: ScanRecord, meta: Mapping[str, str | None], rule: str) -> dict[str, Any]:
    report = record.provenance
    return {
        "scan_id": record.scan_id,
        "rule": rule,
        "detected_at": record.created_at.isoformat(),
        "content": {k: meta.get(k) for k in ("content_id", "uploader_id", "surface", "country")},
        "hashes": dict(record.hashes),
        "matches": [
            {
                "bank": m.bank,
                "entry_id": m.entry_id,
                "signal_type": m.signal_type,
                "distance": m.distance,
                "category": m.category,
                "source": m.source,
                "source_id": m.source_id,
            }
            for m in record.matches
        ],
        "provenance_verdict": report.verdict if report is not None else None,
        "generators": list(report.generators) if report is not None else [],
    }


def report_facts(
    kind: str, record: ScanRecord, meta: Mapping[str, str | None], *, rule: str
) -> dict[str, Any]:
    """The facts of a ``kind`` report about ``record`` (``kind`` in :data:`REPORT_KINDS`)."""
    facts = _common(record, meta, rule)
    generative_ai = facts["provenance_verdict"] in _AI_VERDICTS
    if kind == "ncmec":
        facts["ncmec"] = {
            "incidentType": _NCMEC_INCIDENT,
            "incidentDateTime": facts["detected_at"],
            "fileDetails": {
                "originalFileName": record.filename,
                "md5": record.hashes.get("md5"),
                "sha256": record.hashes.get("sha256"),
                "pdq": record.hashes.get("pdq"),
                "generativeAi": generative_ai,
            },
            "reportedPerson": {"espIdentifier": meta.get("uploader_id")},
        }
    elif kind == "dsa":
        keyword = (
            "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"
            if generative_ai
            else "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"
        )
        facts["dsa"] = {
            "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "category_specification": [keyword],
            "content_type": ["CONTENT_TYPE_IMAGE"],
            "source_type": "SOURCE_VOLUNTARY",
            "automated_detection": "Yes",
            "puid": meta.get("content_id") or record.scan_id,
            "territorial_scope": [meta["country"]] if meta.get("country") else [],
            "content_date": facts["detected_at"][:10],
            "application_date": facts["detected_at"][:10],
        }
    else:
        raise ValueError(f"unknown report kind {kind!r}")
    return facts
