"""The DSA Transparency Database's dump columns and the enum values Amparo aggregates.

From the database's own source (``digital-services-act/transparency-database``):
``app/Exports/StatementExportTrait.php`` (``headings()`` and ``headingsLight()``: the full and
light CSV columns, in order) and ``app/Models/Statement.php`` (the enum keys stored raw in
the dumps). Array attributes (``category_addition``, ``category_specification``,
``content_type``, ``decision_visibility``, ``territorial_scope``) are JSON arrays of keys in
the CSV, e.g. ``["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]``; Parquet files may hold them as
lists. Dates are ``YYYY-MM-DD HH:MM:SS`` (``created_at``: when the statement reached the
database, which names the dump's day).
"""

from __future__ import annotations

__all__ = [
    "AUTOMATED_DETECTION_YES",
    "CATEGORY_PROTECTION_OF_MINORS",
    "DECISION_FULLY",
    "DECISION_PARTIALLY",
    "FULL_COLUMNS",
    "KEYWORD_CSAM",
    "KEYWORD_CSAM_DEEPFAKE",
    "KEYWORD_GROOMING",
    "LIGHT_COLUMNS",
    "REQUIRED_COLUMNS",
    "SCOPES",
    "VISIBILITY_REMOVED",
]

FULL_COLUMNS: tuple[str, ...] = (
    "uuid",
    "decision_visibility",
    "decision_visibility_other",
    "end_date_visibility_restriction",
    "decision_monetary",
    "decision_monetary_other",
    "end_date_monetary_restriction",
    "decision_provision",
    "end_date_service_restriction",
    "decision_account",
    "end_date_account_restriction",
    "account_type",
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "category_specification",
    "category_specification_other",
    "content_type",
    "content_type_other",
    "content_language",
    "content_date",
    "content_id_ean",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "source_type",
    "source_identity",
    "automated_detection",
    "automated_decision",
    "platform_name",
    "platform_uid",
    "created_at",
)
"""The full dump's header, in order."""

_NOT_LIGHT = frozenset(
    {
        "illegal_content_explanation",
        "incompatible_content_explanation",
        "territorial_scope",
        "decision_facts",
    }
)
LIGHT_COLUMNS: tuple[str, ...] = tuple(c for c in FULL_COLUMNS if c not in _NOT_LIGHT)
"""The light dump's header, in order: the full one without the free-text explanations and
the territorial scope."""

REQUIRED_COLUMNS: tuple[str, ...] = (
    "decision_visibility",
    "category",
    "category_addition",
    "category_specification",
    "content_date",
    "application_date",
    "automated_detection",
    "automated_decision",
    "platform_name",
    "created_at",
)
"""The columns the aggregation reads; a dump lacking any of them is refused."""

CATEGORY_PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
KEYWORD_CSAM = "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"
KEYWORD_CSAM_DEEPFAKE = "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"
KEYWORD_GROOMING = "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"
VISIBILITY_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
AUTOMATED_DETECTION_YES = "Yes"
DECISION_FULLY = "AUTOMATED_DECISION_FULLY"
DECISION_PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"

SCOPES: tuple[str, ...] = ("protection_of_minors", "csam", "csam_deepfake", "grooming")
"""What is counted: statements whose category (or an additional category) is protection of
minors; whose keywords name child sexual abuse material (plain or deepfake); deepfake CSAM
alone; grooming. A statement may count in several scopes."""
