"""Response shapes of Amparo's own /v1 routes, for the OpenAPI description and its clients."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "ActionOut",
    "BankOut",
    "DecisionOut",
    "EntryListOut",
    "EntryOut",
    "MatchListOut",
    "MatchOut",
    "ScanOut",
    "SignalsOut",
]


class PdqOut(BaseModel):
    hash: str = Field(description="64 lowercase hex characters (ThreatExchange's form)")
    quality: int = Field(description="0..100; under the threshold (50) it is not matched")
    low_quality: bool


class DecodeErrorOut(BaseModel):
    code: str = Field(description="unsupported_format, corrupt_media, media_too_large, ...")
    message: str
    hint: str | None


class SignalsOut(BaseModel):
    md5: str
    sha256: str
    pdq: PdqOut | None = Field(
        description="None for images under 5 pixels a side, and when decode_error is set"
    )
    pdq_dihedral: dict[str, str] | None = Field(
        description="PDQ of the 8 rotations/flips (original, rotate90, rotate180, rotate270, "
        "flip_vertical, flip_horizontal, flip_transpose, flip_transverse), when asked"
    )
    width: int
    height: int
    format: str = Field(description="The image format, or 'unknown' when not even a header")
    decode_error: DecodeErrorOut | None = Field(
        None, description="Why the pixels were not hashed (MD5 and SHA-256 always are)"
    )


class MatchOut(BaseModel):
    bank: str
    entry_id: int
    signal_type: str
    distance: int = Field(description="Hamming distance for PDQ; 0 for exact types")
    category: str | None = Field(description="A1, A2, B1, B2 (NCMEC), A, B, C (IWF) or none")
    tags: list[str]
    source: str
    source_id: str | None
    enabled: bool
    variant: str | None = Field(description="The dihedral PDQ variant that matched, if any")


class ProvenanceOut(BaseModel):
    verdict: str = Field(description="declared_ai, likely_ai, stripped or no_ai_signal")
    generators: list[str]
    evidence: list[dict[str, Any]] = Field(
        description="Typed items: type, source, detail, indicates, and generator, model, "
        "validation, problem, score where known. Prompts are never included."
    )


class ActionOut(BaseModel):
    kind: str = Field(description="block, quarantine, review, preserve, report, webhook or allow")
    params: dict[str, str | int] = Field(
        description="review: queue, priority (1 most urgent..5), sla_hours; preserve: days; "
        "report: kind (ncmec or dsa; a draft is stored); webhook: endpoint; else none"
    )


class PolicyRefOut(BaseModel):
    name: str
    version: int | None = Field(description="Stored version; null for the built-in policy")
    sha256: str = Field(description="SHA-256 of the policy text")


class DecisionOut(BaseModel):
    rule: str = Field(description="The rule that fired (the first whose conditions all hold)")
    line: int = Field(description="Its line in the policy file")
    reason: str = Field(description="Why it fired: the conditions that held, in words")
    actions: list[ActionOut]
    blocked: bool = Field(description="True when the content must not be served")
    policy: PolicyRefOut


class ScanOut(BaseModel):
    scan_id: str = Field(description="The scan record's id: a UUID of version 7 (ids sort by time)")
    signals: SignalsOut
    pdq_low_quality: bool
    matched: bool
    matches: list[MatchOut] = Field(description="Closest first; one per bank entry and type")
    provenance: ProvenanceOut | None
    decision: DecisionOut | None = Field(
        description="What the active policy decided (see GET /v1/policy)"
    )


class MatchResultOut(BaseModel):
    signal_type: str
    value: str
    matched: bool
    matches: list[MatchOut]
    decision: DecisionOut | None = Field(
        description="What the active policy decided for this hash (recorded as a scan when "
        "it matched or does more than allow)"
    )


class MatchListOut(BaseModel):
    results: list[MatchResultOut] = Field(description="One result per hash, in order")


class BankOut(BaseModel):
    id: int
    name: str
    description: str | None
    enabled: bool
    matching_enabled_ratio: float
    pdq_threshold: int
    created_at: str
    updated_at: str
    entries: int | None = Field(None, description="Number of entries (listing and GET only)")


class EntryOut(BaseModel):
    id: int
    bank: str
    signals: dict[str, str]
    source: str
    source_id: str | None
    category: str | None
    tags: list[str]
    note: str | None
    enabled: bool
    disable_until_ts: int = Field(description="1 enabled, 0 disabled, or a Unix time")
    metadata: dict[str, Any] | None
    original_media_uri: str | None
    created_at: str
    updated_at: str


class EntryListOut(BaseModel):
    entries: list[EntryOut]
    next_after_id: int | None = Field(description="Pass as after_id for the next page")
